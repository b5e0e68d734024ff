// Pool writer implementation.
#include "servegen/pool_writer.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "core/text.h"

namespace llms::servegen {

namespace {

void AppendPyFloat(std::string& out, double v) {
  const size_t before = out.size();
  AppendShortest(out, v);
  if (out.find_first_of(".en", before) == std::string::npos) out += ".0";
}

Status WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f)
    return Status::Error(fmt::format("{}: cannot create: {}", path.string(), std::strerror(errno)));
  f << text;
  f.close();
  if (!f) return Status::Error(fmt::format("{}: write failed", path.string()));
  return Status::Ok();
}

}  // namespace

std::string FormatPyDictLiteral(const EmpiricalDistribution& d, bool float_keys) {
  std::string out = "{";
  for (size_t i = 0; i < d.size(); ++i) {
    if (i) out += ", ";
    if (float_keys) {
      AppendPyFloat(out, d.values()[i]);
    } else {
      AppendInt(out, static_cast<int64_t>(d.values()[i]));
    }
    out += ": ";
    AppendShortest(out, d.probabilities()[i]);
  }
  out += "}";
  return out;
}

Status WritePool(const ClientPool& pool, const std::string& dir, int64_t length_window_seconds) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Error(fmt::format("{}: cannot create directory: {}", dir, ec.message()));
  // Nothing non-finite or out of range reaches the files (the loader would refuse them).
  for (const Client& c : pool.clients) {
    if (c.conversations) {
      LLMS_RETURN_IF_ERROR(
          ValidateConversationModel(*c.conversations, "client " + c.id + ": conversations"));
    }
    for (size_t k = 0; k < c.windows.size(); ++k) {
      const TraceWindow& w = c.windows[k];
      for (double v : {w.rate, w.cv, w.shape, w.scale}) {
        if (!std::isfinite(v)) {
          return Status::Error(fmt::format(
              "client {}: window {} has a non-finite fitted value ({}); nothing written", c.id, k,
              v));
        }
      }
    }
  }
  std::string index = "chunk_id,client_id\n";
  for (size_t i = 0; i < pool.clients.size(); ++i) {
    const Client& c = pool.clients[i];
    std::string trace;
    for (size_t k = 0; k < c.windows.size(); ++k) {
      const TraceWindow& w = c.windows[k];
      AppendInt(trace, pool.start + static_cast<int64_t>(k) * pool.window_seconds);
      if (!w.active()) {
        trace += ",0,0,,0,0\n";
        continue;
      }
      for (double v : {w.rate, w.cv}) {
        trace += ',';
        AppendShortest(trace, v);
      }
      trace += ',';
      trace += PatternName(w.pattern);
      for (double v : {w.shape, w.scale}) {
        trace += ',';
        AppendShortest(trace, v);
      }
      trace += '\n';
    }
    LLMS_RETURN_IF_ERROR(WriteText(fs::path(dir) / fmt::format("chunk-{}-trace.csv", i), trace));
    // Dataset windows on the length-window grid, inactive ones with empty fields.
    std::set<LengthField> fields;
    for (const auto& lw : c.lengths) {
      for (int f = 0; f < kNumLengthFields; ++f) {
        if (lw.fields[f]) fields.insert(static_cast<LengthField>(f));
      }
    }
    std::string json = "{\n";
    const int64_t end = pool.end();
    bool first_window = true;
    size_t next = 0;
    for (int64_t s = pool.start; s < end; s += length_window_seconds) {
      const LengthWindow* lw = nullptr;
      if (next < c.lengths.size() && c.lengths[next].start == s) lw = &c.lengths[next++];
      if (!first_window) json += ",\n";
      first_window = false;
      json += fmt::format("  \"{}\": {{", s);
      bool first_field = true;
      for (LengthField f : fields) {
        json += first_field ? "\n" : ",\n";
        first_field = false;
        const EmpiricalDistribution* d = lw ? lw->Get(f) : nullptr;
        const std::string literal =
            d ? FormatPyDictLiteral(*d, f == LengthField::kReasonRatio) : "{}";
        json += fmt::format("    \"{}\": \"{}\"", FieldName(f), literal);
      }
      json += "\n  }";
    }
    json += "\n}\n";
    LLMS_RETURN_IF_ERROR(WriteText(fs::path(dir) / fmt::format("chunk-{}-dataset.json", i), json));
    index += fmt::format(
        "{},{}\n", i, c.id.find_first_of(",\"\n") == std::string::npos ? c.id : "\"" + c.id + "\"");
  }
  LLMS_RETURN_IF_ERROR(WriteText(fs::path(dir) / "clients.csv", index));
  std::vector<ClientParams> params;
  for (const Client& c : pool.clients) {
    if (!c.conversations && !c.io_rank_corr) continue;
    params.push_back(ClientParams{c.id, c.conversations, c.io_rank_corr});
  }
  const fs::path params_path = fs::path(dir) / std::string(kClientParamsFile);
  if (params.empty()) {  // no stale file from an earlier fit into the same directory
    fs::remove(params_path, ec);
    return Status::Ok();
  }
  return WriteText(params_path, FormatClientParams(params));
}

}  // namespace llms::servegen
