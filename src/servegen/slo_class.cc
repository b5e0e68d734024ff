// SloClass parsing, validation and the per-conversation choice.
#include "servegen/slo_class.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "core/text.h"
#include "servegen/request.h"

namespace llms::servegen {

Result<SloClass> ParseSloClass(std::string_view spec) {
  const auto parts = Split(spec, ':');
  auto err = [&](std::string_view why) {
    return Result<SloClass>::Error(fmt::format(
        "--slo-class '{}': {}; expected NAME:TTFT_MS:TPOT_MS[:WHO], WHO a comma-separated list "
        "of client ids or a percentage, e.g. interactive:500:50:34,56 or batch:10000:200:25%",
        spec, why));
  };
  if (parts.size() < 3 || parts.size() > 4) return err("wrong number of ':' fields");
  SloClass c;
  c.name = std::string(Trim(parts[0]));
  if (c.name.empty()) return err("empty name");
  for (char ch : c.name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.')
      return err("a name may hold letters, digits, '_', '-' and '.' only");
  }
  const auto ttft = ParseDouble(Trim(parts[1]));
  const auto tpot = ParseDouble(Trim(parts[2]));
  if (!ttft || !(*ttft > 0) || !std::isfinite(*ttft)) return err("TTFT_MS must be a number > 0");
  if (!tpot || !(*tpot > 0) || !std::isfinite(*tpot)) return err("TPOT_MS must be a number > 0");
  c.ttft_ms = *ttft;
  c.tpot_ms = *tpot;
  if (parts.size() == 4) {
    std::string_view who = Trim(parts[3]);
    if (who.empty()) return err("empty WHO");
    if (who.back() == '%') {
      const auto pct = ParseDouble(who.substr(0, who.size() - 1));
      if (!pct || !(*pct > 0) || *pct > 100) return err("the percentage must be in (0, 100]");
      c.share = *pct / 100.0;
    } else {
      for (std::string_view id : Split(who, ',')) {
        id = Trim(id);
        if (id.empty()) return err("an empty client id");
        c.clients.emplace_back(id);
      }
    }
  }
  return c;
}

Status ValidateSloClasses(const std::vector<SloClass>& classes) {
  if (classes.size() >= Request::kNoSloClass)
    return Status::Error(fmt::format("{} SLO classes: at most 254", classes.size()));
  std::set<std::string> names;
  double shares = 0;
  for (const auto& c : classes) {
    if (!names.insert(c.name).second)
      return Status::Error("--slo-class " + c.name + ": the name is given twice");
    shares += c.share;
  }
  if (shares > 1.0 + 1e-9)
    return Status::Error(
        fmt::format("--slo-class percentages add up to {:.4g}%: at most 100%", 100 * shares));
  return Status::Ok();
}

uint8_t PickSloClass(const std::vector<SloClass>& classes, std::string_view client, double u) {
  for (size_t i = 0; i < classes.size(); ++i) {
    for (const auto& id : classes[i].clients)
      if (id == client) return static_cast<uint8_t>(i);
  }
  double cum = 0;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].share <= 0) continue;
    cum += classes[i].share;
    if (u <= cum) return static_cast<uint8_t>(i);
  }
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].share <= 0 && classes[i].clients.empty()) return static_cast<uint8_t>(i);
  }
  return Request::kNoSloClass;
}

}  // namespace llms::servegen
