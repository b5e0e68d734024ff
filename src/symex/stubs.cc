// The stub file format (see stubs.h).
#include "symex/stubs.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace llms::symex {
namespace {

std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

template <typename T>
bool ParseNumber(const std::string& s, T* out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

Result<Stubs> ParseStubs(std::string_view text, const std::string& origin) {
  Stubs stubs;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const std::vector<std::string> w = Words(line);
    if (w.empty()) continue;
    auto error = [&](const std::string& what) {
      return Status::Error(
          fmt::format("{}:{}: {} (rules: NAME skip | return N | return-arg I | "
                      "fresh | fail MESSAGE)",
                      origin, line_no, what));
    };
    if (w.size() < 2) return error(fmt::format("'{}' has no action", w[0]));
    StubRule rule;
    const std::string& action = w[1];
    if (action == "skip" || action == "fresh") {
      if (w.size() != 2) return error(fmt::format("'{}' takes no value", action));
      rule.action = action == "skip" ? StubRule::Action::kSkip : StubRule::Action::kFresh;
    } else if (action == "return") {
      if (w.size() != 3 || !ParseNumber(w[2], &rule.value)) {
        return error("'return' needs one integer value");
      }
      rule.action = StubRule::Action::kReturn;
    } else if (action == "return-arg") {
      if (w.size() != 3 || !ParseNumber(w[2], &rule.arg)) {
        return error("'return-arg' needs one argument index (0 is the first)");
      }
      rule.action = StubRule::Action::kReturnArg;
    } else if (action == "fail") {
      rule.action = StubRule::Action::kFail;
      for (size_t i = 2; i < w.size(); ++i) rule.message += (i > 2 ? " " : "") + w[i];
      if (rule.message.empty()) rule.message = "called " + w[0];
    } else {
      return error(fmt::format("unknown action '{}'", action));
    }
    if (!stubs.emplace(w[0], rule).second) {
      return error(fmt::format("'{}' has a rule already", w[0]));
    }
  }
  return stubs;
}

Result<Stubs> LoadStubs(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(fmt::format("cannot read the stub file {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseStubs(text.str(), path);
}

}  // namespace llms::symex
