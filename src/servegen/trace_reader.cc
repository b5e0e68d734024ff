// Trace reader implementation: JSONL through nlohmann::json, CSV by header names.
#include "servegen/trace_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "core/text.h"

namespace llms::servegen {

Result<TimeUnit> ParseTimeUnit(const std::string& text) {
  if (text == "auto") return TimeUnit::kAuto;
  if (text == "s" || text == "seconds") return TimeUnit::kSeconds;
  if (text == "ms" || text == "milliseconds") return TimeUnit::kMilliseconds;
  return Result<TimeUnit>::Error(fmt::format("--time-unit '{}': expected auto, s or ms", text));
}

std::optional<double> ParseDateTime(std::string_view s) {
  s = Trim(s);
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const auto y = ParseInt(s.substr(0, 4)), mo = ParseInt(s.substr(5, 2)),
             d = ParseInt(s.substr(8, 2));
  const auto h = ParseInt(s.substr(11, 2)), mi = ParseInt(s.substr(14, 2));
  std::string_view sec = s.substr(17);
  if (!sec.empty() && (sec.back() == 'Z')) sec.remove_suffix(1);
  const auto se = ParseDouble(sec);
  if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31)
    return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm).
  const int64_t yy = *y - (*mo <= 2);
  const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  const int64_t yoe = yy - era * 400;
  const int64_t doy = (153 * (*mo + (*mo > 2 ? -3 : 9)) + 2) / 5 + *d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return static_cast<double>(days * 86400 + *h * 3600 + *mi * 60) + *se;
}

namespace {

class TraceBuilder {
 public:
  // `r` carries the optional reasoning/multimodal fields; `items` its item tokens in order.
  void Add(double t, const std::string& client, Request r, const std::vector<int64_t>& items,
           std::optional<std::string> category, const std::vector<int64_t>& hash_ids = {}) {
    r.timestamp = t;
    r.items_offset = static_cast<uint32_t>(trace_.batch.item_tokens.size());
    trace_.batch.item_tokens.insert(trace_.batch.item_tokens.end(), items.begin(), items.end());
    r.hash_offset = static_cast<uint32_t>(trace_.batch.hash_ids.size());
    r.hash_count = static_cast<uint32_t>(hash_ids.size());
    trace_.batch.hash_ids.insert(trace_.batch.hash_ids.end(), hash_ids.begin(), hash_ids.end());
    trace_.has_hash_ids |= !hash_ids.empty();
    trace_.has_sessions |= r.session >= 0;
    auto it = ids_.find(client);
    if (it == ids_.end()) {
      it = ids_.emplace(client, static_cast<uint32_t>(trace_.clients.size())).first;
      trace_.clients.push_back(client);
    }
    r.client = it->second;
    trace_.batch.requests.push_back(r);
    if (category && !category_) category_ = category;
  }
  Trace Finish(bool has_ids) {
    auto& reqs = trace_.batch.requests;
    if (!std::is_sorted(reqs.begin(), reqs.end(), [](const Request& a, const Request& b) {
          return a.timestamp < b.timestamp;
        })) {
      std::stable_sort(reqs.begin(), reqs.end(), [](const Request& a, const Request& b) {
        return a.timestamp < b.timestamp;
      });
      trace_.notes.push_back("requests were not in timestamp order; sorted");
    }
    trace_.has_client_ids = has_ids;
    if (category_) {
      if (auto c = ParseCategory(*category_)) trace_.category = *c;
    }
    return std::move(trace_);
  }
  Trace& trace() { return trace_; }

  // A session id as written (a number or a string) to the trace's own numbering.
  int64_t SessionId(const std::string& key) {
    return sessions_.emplace(key, static_cast<int64_t>(sessions_.size())).first->second;
  }
  // The index of an SLO class; a class seen before with other targets is an error.
  Result<uint8_t> SloClassIndex(const std::string& name, double ttft_ms, double tpot_ms) {
    auto& classes = trace_.slo_classes;
    for (size_t i = 0; i < classes.size(); ++i) {
      if (classes[i].name != name) continue;
      if (classes[i].ttft_ms != ttft_ms || classes[i].tpot_ms != tpot_ms) {
        return Result<uint8_t>::Error(
            fmt::format("SLO class '{}' has targets {}/{} ms here but {}/{} ms earlier", name,
                        ttft_ms, tpot_ms, classes[i].ttft_ms, classes[i].tpot_ms));
      }
      return static_cast<uint8_t>(i);
    }
    if (classes.size() + 1 >= Request::kNoSloClass)
      return Result<uint8_t>::Error("more than 254 SLO classes");
    SloClass c;
    c.name = name;
    c.ttft_ms = ttft_ms;
    c.tpot_ms = tpot_ms;
    classes.push_back(std::move(c));
    return static_cast<uint8_t>(classes.size() - 1);
  }

 private:
  std::unordered_map<std::string, int64_t> sessions_;
  Trace trace_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::optional<std::string> category_;
};

const char* kClientKeys[] = {"client_id", "user_id", "client", "user", "tenant", "tenant_id"};
const char* kInputKeys[] = {"input_length", "input_tokens", "prompt_tokens",
                            "prompt_len",   "input_len",    "ContextTokens"};
const char* kOutputKeys[] = {"output_length", "output_tokens", "completion_tokens", "output_len",
                             "GeneratedTokens"};

// Seconds since the epoch beyond which a timestamp is rejected as implausible (about 3,000 years).
constexpr double kMaxAbsSeconds = 1e11;

// Conversation and SLO fields, from JSONL or CSV text. Empty strings are absent fields.
struct ExtraFields {
  std::string session, turn, think_ms, slo_class, ttft_ms, tpot_ms;
};
std::string ApplyExtraFields(TraceBuilder& b, const ExtraFields& f, Request& r) {
  if (!f.session.empty()) {
    r.session = b.SessionId(f.session);
    if (!f.turn.empty()) {
      const auto turn = ParseInt(f.turn);
      if (!turn || *turn < 0 || *turn > (1 << 30)) return "\"turn\" must be an integer >= 0";
      r.turn = static_cast<int32_t>(*turn);
    }
    if (!f.think_ms.empty()) {
      const auto think = ParseDouble(f.think_ms);
      if (!think || !(*think >= 0) || !std::isfinite(*think))
        return "\"think_time_ms\" must be a finite number >= 0";
      r.think_s = static_cast<float>(*think / 1e3);
    }
  }
  if (!f.slo_class.empty()) {
    const auto ttft = ParseDouble(f.ttft_ms), tpot = ParseDouble(f.tpot_ms);
    if (!ttft || !tpot || !(*ttft > 0) || !(*tpot > 0) || !std::isfinite(*ttft) ||
        !std::isfinite(*tpot))
      return "\"slo_class\" needs \"ttft_slo_ms\" and \"tpot_slo_ms\", numbers > 0";
    auto idx = b.SloClassIndex(f.slo_class, *ttft, *tpot);
    if (!idx.ok()) return idx.message();
    r.slo_class = *idx;
  }
  return "";
}

Result<Trace> ReadJsonl(std::string_view text, const std::string& path, const ReadOptions& opt) {
  TraceBuilder b;
  bool has_ids = false;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    const bool last_unterminated = eol == std::string_view::npos;
    if (last_unterminated) eol = text.size();
    const std::string_view line = Trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty()) continue;
    auto fail = [&](const std::string& what) -> Status {
      return Status::Error(fmt::format(
          "{}:{}: {}{}; pass --lenient to skip malformed lines", path, line_no, what,
          last_unterminated ? " (the last line has no newline: the file may be truncated)" : ""));
    };
    const auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    std::string problem;
    double t = 0;
    int64_t in = 0, out = 0;
    std::string client = "all";
    std::optional<std::string> category;
    Request extra;
    std::vector<int64_t> items, hash_ids;
    if (j.is_discarded() || !j.is_object()) {
      problem = "not a JSON object";
    } else {
      auto number = [&](const char* const* keys, size_t n, const char* what, int64_t& dst) {
        for (size_t k = 0; k < n; ++k) {
          auto it = j.find(keys[k]);
          if (it == j.end()) continue;
          if (!it->is_number() || it->get<double>() < 0) {
            problem = fmt::format("\"{}\" must be a number >= 0", keys[k]);
            return;
          }
          dst = static_cast<int64_t>(std::llround(it->get<double>()));
          return;
        }
        problem = fmt::format("no {} field (expected one of {})", what,
                              fmt::join(std::vector<std::string>(keys, keys + n), ", "));
      };
      auto ts = j.find("timestamp");
      double scale = opt.time_unit == TimeUnit::kSeconds ? 1.0 : 1e-3;
      if (ts == j.end()) {
        for (const char* k : {"timestamp_s", "arrival_time", "time"}) {
          ts = j.find(k);
          if (ts != j.end()) {
            scale = opt.time_unit == TimeUnit::kMilliseconds ? 1e-3 : 1.0;
            break;
          }
        }
      }
      if (ts == j.end()) {
        problem = "no \"timestamp\" field (ms, as in Mooncake traces)";
      } else if (ts->is_string()) {
        auto dt = ParseDateTime(ts->get<std::string>());
        if (!dt) problem = "\"timestamp\" string is not a 'YYYY-MM-DD HH:MM:SS' datetime";
        t = dt.value_or(0);
      } else if (!ts->is_number() || !std::isfinite(ts->get<double>())) {
        problem = "\"timestamp\" must be a finite number";
      } else {
        t = ts->get<double>() * scale;
        if (!(std::abs(t) <= kMaxAbsSeconds)) {
          problem = fmt::format(
              "\"timestamp\" {} is {:.3g} s from the epoch, not a plausible time (in {})",
              ts->dump(), t, scale == 1.0 ? "seconds" : "milliseconds");
        }
      }
      if (problem.empty()) number(kInputKeys, std::size(kInputKeys), "input length", in);
      if (problem.empty()) number(kOutputKeys, std::size(kOutputKeys), "output length", out);
      if (problem.empty()) {
        for (const char* k : kClientKeys) {
          auto it = j.find(k);
          if (it == j.end() || it->is_null()) continue;
          client = it->is_string() ? it->get<std::string>() : it->dump();
          has_ids = true;
          break;
        }
        auto c = j.find("category");
        if (c != j.end() && c->is_string()) category = c->get<std::string>();
        // Optional reasoning and multimodal fields, as servegen writes them.
        extra = Request{};
        items.clear();
        if (auto it = j.find("reasoning_tokens"); it != j.end() && it->is_number()) {
          extra.reasoning_tokens = it->get<int64_t>();
          auto rr = j.find("reason_ratio");
          extra.reason_ratio =
              rr != j.end() && rr->is_number() ? rr->get<double>()
              : out > 0 ? static_cast<double>(extra.reasoning_tokens) / static_cast<double>(out)
                        : 0.0;
        }
        if (auto it = j.find("text_tokens"); it != j.end() && it->is_number()) {
          extra.text_tokens = it->get<int64_t>();
          uint16_t* counts[] = {&extra.image_count, &extra.audio_count, &extra.video_count};
          const char* keys[] = {"image_tokens", "audio_tokens", "video_tokens"};
          for (int m = 0; m < 3 && problem.empty(); ++m) {
            auto arr = j.find(keys[m]);
            if (arr == j.end()) continue;
            if (!arr->is_array()) {
              problem = fmt::format("\"{}\" must be an array of per-item token counts", keys[m]);
              break;
            }
            for (const auto& v : *arr) {
              if (!v.is_number() || v.get<double>() < 0) {
                problem = fmt::format("\"{}\" must hold numbers >= 0", keys[m]);
                break;
              }
              items.push_back(v.get<int64_t>());
            }
            *counts[m] = static_cast<uint16_t>(arr->size());
          }
        }
        if (auto it = j.find("hash_ids"); problem.empty() && it != j.end()) {
          if (!it->is_array()) problem = "\"hash_ids\" must be an array of integers";
          for (const auto& v : it->is_array() ? *it : nlohmann::json::array()) {
            if (!v.is_number_integer()) {
              problem = "\"hash_ids\" must hold integers";
              break;
            }
            hash_ids.push_back(v.get<int64_t>());
          }
        }
        if (problem.empty()) {
          ExtraFields f;
          auto text = [&](const char* key, std::string& dst) {
            auto it = j.find(key);
            if (it == j.end() || it->is_null()) return;
            dst = it->is_string() ? it->get<std::string>() : it->dump();
            if (dst.empty()) dst = "\"\"";
          };
          text("session_id", f.session);
          text("turn", f.turn);
          text("think_time_ms", f.think_ms);
          if (f.think_ms.empty()) text("delay", f.think_ms);  // AIPerf's multi-turn traces
          text("slo_class", f.slo_class);
          text("ttft_slo_ms", f.ttft_ms);
          text("tpot_slo_ms", f.tpot_ms);
          problem = ApplyExtraFields(b, f, extra);
        }
      }
    }
    if (!problem.empty()) {
      if (opt.lenient) {
        ++b.trace().skipped_lines;
        continue;
      }
      return fail(problem);
    }
    extra.input_tokens = in;
    extra.output_tokens = out;
    b.Add(t, client, extra, items, category, hash_ids);
  }
  return b.Finish(has_ids);
}

Result<Trace> ReadCsv(std::string_view text, const std::string& path, const ReadOptions& opt) {
  TraceBuilder b;
  size_t line_no = 0, pos = 0;
  int col_t = -1, col_client = -1, col_in = -1, col_out = -1, col_cat = -1;
  // Optional: session_id, turn, think_time_ms, hash_ids, slo_class, ttft_slo_ms, tpot_slo_ms.
  static constexpr const char* kExtraCols[] = {
      "session_id", "turn", "think_time_ms", "hash_ids", "slo_class", "ttft_slo_ms", "tpot_slo_ms"};
  int col_extra[std::size(kExtraCols)];
  std::fill(std::begin(col_extra), std::end(col_extra), -1);
  double t_scale = 1.0;
  bool datetime = false;
  bool header_done = false;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = Trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty()) continue;
    const auto cols = SplitCsvLine(line);
    if (!header_done) {
      for (int i = 0; i < static_cast<int>(cols.size()); ++i) {
        std::string name(Trim(cols[static_cast<size_t>(i)]));
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (lower == "timestamp_ms") {
          col_t = i;
          t_scale = 1e-3;
        } else if (lower == "timestamp_s" || lower == "arrival_time" || lower == "time") {
          col_t = i;
          t_scale = 1.0;
        } else if (lower == "timestamp") {
          col_t = i;
          datetime = name == "TIMESTAMP";  // Azure's column holds datetimes
          t_scale = opt.time_unit == TimeUnit::kSeconds ? 1.0 : 1e-3;
        } else if (lower == "category") {
          col_cat = i;
        }
        for (size_t k = 0; k < std::size(kExtraCols); ++k) {
          if (lower == kExtraCols[k]) col_extra[k] = i;
        }
        for (const char* k : kClientKeys) {
          if (lower == k && col_client < 0) col_client = i;
        }
        for (const char* k : kInputKeys) {
          std::string kl = k;
          std::transform(kl.begin(), kl.end(), kl.begin(),
                         [](unsigned char c) { return std::tolower(c); });
          if (lower == kl && col_in < 0) col_in = i;
        }
        for (const char* k : kOutputKeys) {
          std::string kl = k;
          std::transform(kl.begin(), kl.end(), kl.begin(),
                         [](unsigned char c) { return std::tolower(c); });
          if (lower == kl && col_out < 0) col_out = i;
        }
      }
      if (opt.time_unit == TimeUnit::kMilliseconds && col_t >= 0 && !datetime) t_scale = 1e-3;
      if (col_t < 0 || col_in < 0 || col_out < 0) {
        return Result<Trace>::Error(
            fmt::format("{}:{}: header must name a timestamp column (timestamp_ms, timestamp_s, "
                        "timestamp or TIMESTAMP), an input "
                        "column (input_length, input_tokens, prompt_tokens, ContextTokens) and an "
                        "output column (output_length, "
                        "output_tokens, completion_tokens, GeneratedTokens); found '{}'",
                        path, line_no, line));
      }
      header_done = true;
      continue;
    }
    std::string problem;
    const int needed = std::max({col_t, col_in, col_out, col_client, col_cat});
    double t = 0;
    int64_t in = 0, out = 0;
    if (static_cast<int>(cols.size()) <= needed) {
      problem = fmt::format("expected at least {} columns, found {}", needed + 1, cols.size());
    } else {
      const std::string& ts = cols[static_cast<size_t>(col_t)];
      if (auto v = ParseDouble(ts); v && std::isfinite(*v)) {
        t = *v * t_scale;
      } else if (auto dt = ParseDateTime(ts)) {
        t = *dt;
      } else {
        problem = fmt::format("timestamp '{}' is neither a number nor a datetime", ts);
      }
      const auto vi = ParseDouble(cols[static_cast<size_t>(col_in)]);
      const auto vo = ParseDouble(cols[static_cast<size_t>(col_out)]);
      if (problem.empty() && (!vi || *vi < 0 || !std::isfinite(*vi))) {
        problem = fmt::format("input length '{}' is not a number >= 0",
                              cols[static_cast<size_t>(col_in)]);
      }
      if (problem.empty() && (!vo || *vo < 0 || !std::isfinite(*vo))) {
        problem = fmt::format("output length '{}' is not a number >= 0",
                              cols[static_cast<size_t>(col_out)]);
      }
      if (problem.empty()) {
        in = std::llround(*vi);
        out = std::llround(*vo);
      }
      if (problem.empty() && !(std::abs(t) <= kMaxAbsSeconds)) {
        problem =
            fmt::format("timestamp '{}' is {:.3g} s from the epoch, not a plausible time", ts, t);
      }
    }
    Request extra;
    extra.input_tokens = in;
    extra.output_tokens = out;
    std::vector<int64_t> hash_ids;
    if (problem.empty()) {
      auto col = [&](size_t k) -> std::string {
        const int c = col_extra[k];
        return c >= 0 && static_cast<size_t>(c) < cols.size()
                   ? std::string(Trim(cols[static_cast<size_t>(c)]))
                   : std::string();
      };
      const std::string ids = col(3);  // Split's views point into it
      for (std::string_view id : Split(ids, ';')) {
        if (Trim(id).empty()) continue;
        const auto v = ParseInt(Trim(id));
        if (!v) {
          problem = fmt::format("hash_ids '{}' must be integers separated by ';'", ids);
          break;
        }
        hash_ids.push_back(*v);
      }
      if (problem.empty()) {
        ExtraFields f{col(0), col(1), col(2), col(4), col(5), col(6)};
        problem = ApplyExtraFields(b, f, extra);
      }
    }
    if (!problem.empty()) {
      if (opt.lenient) {
        ++b.trace().skipped_lines;
        continue;
      }
      return Result<Trace>::Error(
          fmt::format("{}:{}: {}; pass --lenient to skip malformed lines", path, line_no, problem));
    }
    const std::string client =
        col_client >= 0 ? cols[static_cast<size_t>(col_client)] : std::string("all");
    std::optional<std::string> cat;
    if (col_cat >= 0) cat = cols[static_cast<size_t>(col_cat)];
    b.Add(t, client, extra, {}, cat, hash_ids);
  }
  if (!header_done)
    return Result<Trace>::Error(path + ": empty CSV file: expected a header line and rows");
  return b.Finish(col_client >= 0);
}

}  // namespace

Result<Trace> ReadTrace(const std::string& path, const ReadOptions& options) {
  // Read, not mmap: a log that another process truncates while we read it must give an error,
  // not SIGBUS.
  auto file = ReadFileToString(path);
  if (!file.ok()) return file.status();
  const std::string_view text = *file;
  if (Trim(text).empty()) return Result<Trace>::Error(path + ": the file is empty: no requests");
  const std::string_view head = Trim(text.substr(0, 64));
  Result<Trace> trace = Result<Trace>::Error("");
  if (!head.empty() && head.front() == '{') {
    trace = ReadJsonl(text, path, options);
  } else {
    trace = ReadCsv(text, path, options);
  }
  if (!trace.ok()) return trace;
  if (trace->batch.requests.empty())
    return Result<Trace>::Error(path + ": no requests in the trace");
  if (trace->skipped_lines > 0) {
    trace->notes.push_back(
        fmt::format("skipped {} malformed lines (--lenient)", trace->skipped_lines));
  }
  return trace;
}

int ModelOfRequest(const Trace& trace, size_t index, int num_models) {
  const uint64_t key = trace.has_client_ids ? trace.batch.requests[index].client : index;
  return static_cast<int>(key % static_cast<uint64_t>(num_models));
}

std::pair<int, int> FitLengths(int64_t input, int64_t output, int max_input, int max_output,
                               int context) {
  int in = static_cast<int>(std::clamp<int64_t>(input, 1, 1 << 20));
  int out = static_cast<int>(std::clamp<int64_t>(output, 1, 1 << 20));
  if (max_input > 0) in = std::min(in, max_input);
  if (max_output > 0) out = std::min(out, max_output);
  if (context > 1 && in + out > context) {
    // Keep the request's shape: scale both down to fit the model's context.
    const double f = static_cast<double>(context) / (in + out);
    in = std::max(1, static_cast<int>(in * f));
    out = std::max(1, std::min(context - in, static_cast<int>(out * f)));
    if (in + out > context) in = context - out;
  }
  return {in, out};
}

}  // namespace llms::servegen
