// Pool loader: trace CSV rows, a purpose-built scanner for the dataset JSON (object of objects of
// strings), and assembly of clients on one window grid.
#include "servegen/pool_loader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/log.h"
#include "core/mapped_file.h"
#include "core/text.h"
#include "core/thread_pool.h"
#include "servegen/py_dict_literal.h"

namespace llms::servegen {

namespace {

Status LineError(const std::string& name, size_t line, const std::string& what) {
  return Status::Error(fmt::format("{}:{}: {}", name, line, what));
}

}  // namespace

Result<ParsedTrace> ParseTraceCsv(std::string_view content, const std::string& name,
                                  double span_start, double span_end) {
  ParsedTrace trace;
  size_t line_no = 0;
  size_t pos = 0;
  int64_t prev_start = 0;
  static const char* kColumns[] = {"window_start_s", "rate", "cv", "pattern", "shape", "scale"};
  std::string_view cols[6];
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || Trim(line).empty()) continue;
    // Fast path for rows after the span: only the position matters (alignment is checked below).
    if (!trace.windows.empty() && trace.step != 0 &&
        static_cast<double>(prev_start + trace.step) >= span_end) {
      const size_t comma = line.find(',');
      const auto start = ParseInt(line.substr(0, comma));
      if (start && *start == prev_start + trace.step && comma != std::string_view::npos) {
        prev_start = *start;
        trace.windows.emplace_back();
        continue;
      }
      // Anything unexpected takes the full path below, which reports it precisely.
    }
    // Split into exactly six fields without allocating (this runs for every row of every client).
    size_t ncols = 0, field_start = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == ',') {
        if (ncols < 6) cols[ncols] = line.substr(field_start, i - field_start);
        ++ncols;
        field_start = i + 1;
      }
    }
    if (ncols != 6) {
      return LineError(
          name, line_no,
          fmt::format("expected 6 comma-separated columns (window_start_s, rate, cv, pattern, "
                      "shape, scale), found {}",
                      ncols));
    }
    const auto start = ParseInt(cols[0]);
    if (!start) {
      // A header row is tolerated on the first line only.
      if (line_no == 1 && trace.windows.empty() && !ParseDouble(cols[0])) continue;
      return LineError(
          name, line_no,
          fmt::format("column 1 (window_start_s) is '{}', expected an integer", cols[0]));
    }
    if (trace.windows.empty()) {
      trace.first_start = *start;
    } else {
      const int64_t step = *start - prev_start;
      if (step <= 0) {
        return LineError(name, line_no,
                         fmt::format("window_start_s {} does not increase (previous row {})",
                                     *start, prev_start));
      }
      if (trace.step == 0) {
        trace.step = step;
      } else if (step != trace.step) {
        return LineError(
            name, line_no,
            fmt::format("windows not aligned: window_start_s {} is {} s after the previous row, "
                        "but earlier rows are {} s apart",
                        *start, step, trace.step));
      }
    }
    prev_start = *start;
    TraceWindow w;
    // Rows wholly outside the span only need their position; their values stay inactive.
    const double s = static_cast<double>(*start);
    const bool in_span =
        s < span_end &&
        (trace.step == 0 || s + static_cast<double>(trace.step) > span_start || s >= span_start);
    if (!in_span) {
      trace.windows.push_back(w);
      continue;
    }
    double* targets[] = {nullptr, &w.rate, &w.cv, nullptr, &w.shape, &w.scale};
    for (int c : {1, 2, 4, 5}) {
      const auto v = ParseDouble(cols[c]);
      if (!v || !std::isfinite(*v) || *v < 0) {
        return LineError(name, line_no,
                         fmt::format("column {} ({}) is '{}', expected a finite number >= 0", c + 1,
                                     kColumns[c], cols[c]));
      }
      *targets[c] = *v;
    }
    const std::string_view pattern = Trim(cols[3]);
    if (pattern.empty()) {
      w.pattern = ArrivalPattern::kNone;
    } else if (pattern == "Gamma") {
      w.pattern = ArrivalPattern::kGamma;
    } else if (pattern == "Weibull") {
      w.pattern = ArrivalPattern::kWeibull;
    } else if (pattern == "Exponential" || pattern == "Poisson") {
      w.pattern = ArrivalPattern::kExponential;
    } else {
      return LineError(
          name, line_no,
          fmt::format("column 4 (pattern) is '{}', expected Gamma, Weibull, Exponential or empty",
                      pattern));
    }
    if ((w.pattern == ArrivalPattern::kGamma || w.pattern == ArrivalPattern::kWeibull) &&
        (w.shape <= 0 || w.scale <= 0)) {
      return LineError(
          name, line_no,
          fmt::format("{} window needs shape > 0 and scale > 0, found shape {} scale {}", pattern,
                      w.shape, w.scale));
    }
    trace.windows.push_back(w);
  }
  if (trace.windows.empty())
    return Result<ParsedTrace>::Error(name + ": no rows: the trace file is empty");
  return trace;
}

namespace {

// A scanner for the dataset JSON: {"<start>": {"<field>": "<dict literal>", ...}, ...}.
class DatasetScanner {
 public:
  DatasetScanner(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  struct FieldRef {
    std::string_view field;
    std::string_view literal;
    size_t line;
  };
  struct WindowRef {
    int64_t start;
    size_t line;
    std::vector<FieldRef> fields;
    bool any_empty = false;
  };

  // Scans windows in order. Without validate_all it stops at the first window starting at or after
  // `stop_at` once a usable window has been seen: later windows cannot be needed (keys ascend).
  Result<std::vector<WindowRef>> Scan(double stop_at) {
    bool have_usable = false;
    std::vector<WindowRef> windows;
    SkipSpace();
    if (!Consume('{')) return Error("expected '{' at the start of the dataset JSON");
    SkipSpace();
    if (Consume('}')) return windows;
    for (;;) {
      SkipSpace();
      WindowRef w;
      w.line = line_;
      std::string_view key;
      if (!ReadString(key)) return Error("expected a window start in double quotes, e.g. \"0\"");
      const auto start = ParseInt(key);
      if (!start)
        return Error(fmt::format("window key \"{}\" is not an integer number of seconds", key));
      w.start = *start;
      SkipSpace();
      if (!Consume(':')) return Error("expected ':' after the window key");
      SkipSpace();
      if (!Consume('{')) return Error("expected '{' opening the window's fields");
      SkipSpace();
      if (!Consume('}')) {
        for (;;) {
          SkipSpace();
          FieldRef f;
          f.line = line_;
          if (!ReadString(f.field)) return Error("expected a field name in double quotes");
          SkipSpace();
          if (!Consume(':')) return Error("expected ':' after the field name");
          SkipSpace();
          if (!ReadString(f.literal)) {
            return Error(fmt::format(
                "field \"{}\": expected a string holding a Python dict literal", f.field));
          }
          if (Trim(f.literal) == "{}") w.any_empty = true;
          w.fields.push_back(f);
          SkipSpace();
          if (Consume(',')) continue;
          if (Consume('}')) break;
          return Error("expected ',' or '}' after a field");
        }
      }
      if (!windows.empty() && w.start <= windows.back().start) {
        return Error(
            fmt::format("window \"{}\" does not come after window \"{}\": keys must ascend",
                        w.start, windows.back().start));
      }
      have_usable = have_usable || (!w.any_empty && !w.fields.empty());
      const bool stop = have_usable && static_cast<double>(w.start) >= stop_at;
      windows.push_back(std::move(w));
      if (stop) return windows;
      SkipSpace();
      if (Consume(',')) continue;
      if (Consume('}')) break;
      return Error(pos_ >= text_.size() ? "unexpected end of file: the JSON object is not closed"
                                        : "expected ',' or '}' after a window");
    }
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the closing '}'");
    return windows;
  }

 private:
  Status Error(const std::string& what) const { return LineError(name_, line_, what); }
  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        break;
      }
      ++pos_;
    }
  }
  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // Reads a JSON string without escapes (ServeGen's files have none); rejects escapes and
  // raw newlines rather than misreading them.
  bool ReadString(std::string_view& out) {
    if (!Consume('"')) return false;
    const char* begin = text_.data() + pos_;
    const void* q = std::memchr(begin, '"', text_.size() - pos_);
    if (!q) return false;
    const char* end = static_cast<const char*>(q);
    out = std::string_view(begin, static_cast<size_t>(end - begin));
    if (out.find('\\') != std::string_view::npos || out.find('\n') != std::string_view::npos)
      return false;
    pos_ = static_cast<size_t>(end - text_.data()) + 1;
    return true;
  }

  std::string_view text_;
  const std::string& name_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

Result<LengthWindow> ParseWindow(const DatasetScanner::WindowRef& ref, const std::string& name) {
  LengthWindow w;
  w.start = ref.start;
  for (const auto& f : ref.fields) {
    const auto field = ParseFieldName(f.field);
    auto pairs = ParsePyDictLiteral(f.literal);
    if (!pairs.ok()) {
      return LineError(
          name, f.line,
          fmt::format("window \"{}\" field \"{}\": {}", ref.start, f.field, pairs.message()));
    }
    if (!field) continue;  // unknown fields are ignored (forward compatibility)
    auto dist = EmpiricalDistribution::FromPairs(std::move(pairs).value());
    if (!dist.ok()) {
      return LineError(
          name, f.line,
          fmt::format("window \"{}\" field \"{}\": {}", ref.start, f.field, dist.message()));
    }
    w.fields[static_cast<int>(*field)] = std::move(dist).value();
  }
  return w;
}

}  // namespace

Result<std::vector<LengthWindow>> ParseDatasetJson(std::string_view content,
                                                   const std::string& name,
                                                   const LoadOptions& options) {
  DatasetScanner scanner(content, name);
  auto refs = scanner.Scan(options.validate_all ? std::numeric_limits<double>::infinity()
                                                : options.span_end);
  if (!refs.ok()) return refs.status();
  // Windows with an empty field are inactive (the reference drops them as a whole).
  std::vector<const DatasetScanner::WindowRef*> usable;
  for (const auto& r : *refs) {
    if (!r.any_empty && !r.fields.empty()) usable.push_back(&r);
  }
  std::vector<bool> needed(usable.size(), options.validate_all);
  if (!options.validate_all && !usable.empty()) {
    // In-span windows, the latest one at or before the span start, or else the first one.
    bool have_before = false;
    for (size_t i = 0; i < usable.size(); ++i) {
      const double s = static_cast<double>(usable[i]->start);
      if (s > options.span_start && s < options.span_end) needed[i] = true;
    }
    for (size_t i = usable.size(); i-- > 0;) {
      if (static_cast<double>(usable[i]->start) <= options.span_start) {
        needed[i] = true;
        have_before = true;
        break;
      }
    }
    if (!have_before) needed[0] = true;
  }
  std::vector<LengthWindow> out;
  for (size_t i = 0; i < usable.size(); ++i) {
    if (!needed[i]) continue;
    auto w = ParseWindow(*usable[i], name);
    if (!w.ok()) return w.status();
    out.push_back(std::move(w).value());
  }
  if (options.validate_all) {
    // Also validate the literals of inactive windows, so a corrupt file is caught whole.
    for (const auto& r : *refs) {
      for (const auto& f : r.fields) {
        auto pairs = ParsePyDictLiteral(f.literal);
        if (!pairs.ok()) {
          return LineError(
              name, f.line,
              fmt::format("window \"{}\" field \"{}\": {}", r.start, f.field, pairs.message()));
        }
      }
    }
  }
  return out;
}

namespace {

struct ChunkFiles {
  const PoolFile* trace = nullptr;
  const PoolFile* dataset = nullptr;
};

// "chunk-12-trace.csv" -> ("12", trace). Other names are ignored.
bool ParseChunkName(const std::string& name, std::string& id, bool& is_trace) {
  if (name.rfind("chunk-", 0) != 0) return false;
  std::string_view rest(name);
  rest.remove_prefix(6);
  if (rest.ends_with("-trace.csv")) {
    is_trace = true;
    rest.remove_suffix(10);
  } else if (rest.ends_with("-dataset.json")) {
    is_trace = false;
    rest.remove_suffix(13);
  } else {
    return false;
  }
  if (rest.empty()) return false;
  id = std::string(rest);
  return true;
}

// Orders numeric ids numerically ("2" < "10"), others lexicographically after them.
bool IdLess(const std::string& a, const std::string& b) {
  const auto ia = ParseInt(a), ib = ParseInt(b);
  if (ia && ib) return *ia < *ib;
  if (ia != ib) return ia.has_value();
  return a < b;
}

Category InferCategory(const std::vector<LengthWindow>& windows, Category fallback) {
  for (const auto& w : windows) {
    if (w.Get(LengthField::kReasonRatio)) return Category::kReason;
    if (w.Get(LengthField::kTextTokens) || w.Get(LengthField::kImageCount))
      return Category::kMultimodal;
    if (w.Get(LengthField::kInputTokens)) return Category::kLanguage;
  }
  return fallback;
}

// Per length-window start, each field's mixture over the pool's clients, weighted by their mean
// rates: the lengths a client without a dataset file is given with keep_clients_without_lengths.
std::vector<LengthWindow> PooledLengths(const ClientPool& pool) {
  std::set<int64_t> starts;
  for (const auto& c : pool.clients)
    for (const auto& w : c.lengths) starts.insert(w.start);
  std::vector<double> weight;
  for (const auto& c : pool.clients)
    weight.push_back(std::max(1e-12, c.MeanRate(0, pool.num_windows)));
  std::vector<LengthWindow> out;
  for (int64_t s : starts) {
    LengthWindow lw;
    lw.start = s;
    for (int f = 0; f < kNumLengthFields; ++f) {
      std::vector<std::pair<double, double>> pairs;
      double mass = 0;
      for (size_t i = 0; i < pool.clients.size(); ++i) {
        const LengthWindow* w = pool.clients[i].LengthsAt(s);
        const EmpiricalDistribution* d = w ? w->Get(static_cast<LengthField>(f)) : nullptr;
        if (!d) continue;
        mass += weight[i];
        for (size_t k = 0; k < d->size(); ++k)
          pairs.emplace_back(d->values()[k], d->probabilities()[k] * weight[i]);
      }
      if (pairs.empty()) continue;
      for (auto& pr : pairs) pr.second /= mass;
      auto d = EmpiricalDistribution::FromPairs(std::move(pairs), 1e-6);
      if (d.ok()) lw.fields[static_cast<size_t>(f)] = std::move(d).value();
    }
    out.push_back(std::move(lw));
  }
  return out;
}

// Attaches client_params.csv rows to the clients: a client's own row, else the `*` row.
void ApplyClientParams(const std::vector<ClientParams>& rows, ClientPool& pool) {
  const ClientParams* any = nullptr;
  for (const auto& r : rows)
    if (r.client_id == "*") any = &r;
  for (auto& c : pool.clients) {
    const ClientParams* own = any;
    for (const auto& r : rows)
      if (r.client_id == c.id) own = &r;
    if (!own) continue;
    c.conversations = own->conversations;
    c.io_rank_corr = own->io_rank_corr;
  }
}

Status CheckRequiredFields(const LengthWindow& w, Category category, const std::string& name) {
  std::vector<LengthField> required;
  if (category == Category::kMultimodal) {
    required = {LengthField::kTextTokens, LengthField::kOutputTokens};
  } else {
    required = {LengthField::kInputTokens, LengthField::kOutputTokens};
    if (category == Category::kReason) required.push_back(LengthField::kReasonRatio);
  }
  for (auto f : required) {
    if (!w.Get(f)) {
      return Status::Error(
          fmt::format("{}: window \"{}\" has no \"{}\" field, which a {} pool needs", name, w.start,
                      FieldName(f), CategoryName(category)));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ClientPool> LoadPoolFromFiles(const std::vector<PoolFile>& files, const std::string& source,
                                     const LoadOptions& options) {
  std::map<std::string, ChunkFiles, decltype(&IdLess)> chunks(&IdLess);
  // Optional clients.csv (written by `servegen fit`): chunk id -> the original client id.
  std::map<std::string, std::string> names;
  for (const auto& f : files) {
    if (f.name != "clients.csv") continue;
    size_t line_no = 0;
    for (std::string_view line : Split(f.content, '\n')) {
      ++line_no;
      line = Trim(line);
      if (line.empty() || line_no == 1) continue;  // header
      const size_t comma = line.find(',');
      if (comma == std::string_view::npos) {
        return Result<ClientPool>::Error(
            fmt::format("{}/clients.csv:{}: expected 'chunk_id,client_id'", source, line_no));
      }
      std::string_view name = Trim(line.substr(comma + 1));
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
        name = name.substr(1, name.size() - 2);
      names[std::string(Trim(line.substr(0, comma)))] = std::string(name);
    }
  }
  std::vector<ClientParams> params;
  for (const auto& f : files) {
    if (f.name != kClientParamsFile) continue;
    auto rows = ParseClientParams(f.content, source + "/" + f.name);
    if (!rows.ok()) return rows.status();
    params = std::move(rows).value();
  }
  for (const auto& f : files) {
    std::string id;
    bool is_trace = false;
    if (!ParseChunkName(f.name, id, is_trace)) continue;
    (is_trace ? chunks[id].trace : chunks[id].dataset) = &f;
  }
  if (chunks.empty()) {
    return Result<ClientPool>::Error(source +
                                     ": no chunk-<id>-trace.csv files found; expected ServeGen's "
                                     "data layout (see docs/servegen.md)");
  }
  struct Parsed {
    std::string id;
    Result<ParsedTrace> trace = Result<ParsedTrace>::Error("");
    Result<std::vector<LengthWindow>> lengths = Result<std::vector<LengthWindow>>::Error("");
    bool has_trace = false, has_dataset = false;
  };
  std::vector<Parsed> parsed;
  std::vector<const ChunkFiles*> refs;
  for (const auto& [id, cf] : chunks) {
    parsed.push_back(Parsed{id});
    refs.push_back(&cf);
  }
  auto work = [&](size_t i) {
    Parsed& p = parsed[i];
    const ChunkFiles& cf = *refs[i];
    p.has_trace = cf.trace != nullptr;
    p.has_dataset = cf.dataset != nullptr;
    if (cf.trace) {
      const double lo =
          options.validate_all ? -std::numeric_limits<double>::infinity() : options.span_start;
      const double hi =
          options.validate_all ? std::numeric_limits<double>::infinity() : options.span_end;
      p.trace = ParseTraceCsv(cf.trace->content, source + "/" + cf.trace->name, lo, hi);
    }
    if (cf.dataset)
      p.lengths = ParseDatasetJson(cf.dataset->content, source + "/" + cf.dataset->name, options);
  };
  const int threads = static_cast<int>(std::clamp<size_t>(
      static_cast<size_t>(std::max(1, options.threads)), 1, std::max<size_t>(1, parsed.size())));
  ThreadPool(threads).ParallelForEach(static_cast<int64_t>(parsed.size()),
                                      [&](int64_t i) { work(static_cast<size_t>(i)); });

  ClientPool pool;
  pool.source = source;
  int64_t step = 0, first = 0, last_end = 0;
  bool any = false;
  for (auto& p : parsed) {
    if (!p.has_trace) {
      pool.notes.push_back(
          fmt::format("client {}: dataset file without a trace file; skipped", p.id));
      continue;
    }
    if (!p.trace.ok()) return p.trace.status();
    if (p.has_dataset && !p.lengths.ok()) return p.lengths.status();
    const ParsedTrace& t = *p.trace;
    if (t.step != 0) {
      if (step == 0) {
        step = t.step;
      } else if (t.step != step) {
        return Result<ClientPool>::Error(
            fmt::format("{}/chunk-{}-trace.csv: windows are {} s apart, but other clients' windows "
                        "are {} s apart; all trace "
                        "files of a pool must use one window size",
                        source, p.id, t.step, step));
      }
    }
    if (!any) {
      first = t.first_start;
      last_end = t.first_start;
      any = true;
    }
    first = std::min(first, t.first_start);
  }
  if (step == 0) step = 600;
  for (auto& p : parsed) {
    if (!p.has_trace) continue;
    const ParsedTrace& t = *p.trace;
    if ((t.first_start - first) % step != 0) {
      return Result<ClientPool>::Error(
          fmt::format("{}/chunk-{}-trace.csv: first window starts at {} s, not on the {} s grid "
                      "that starts at {} s",
                      source, p.id, t.first_start, step, first));
    }
    last_end =
        std::max<int64_t>(last_end, t.first_start + static_cast<int64_t>(t.windows.size()) * step);
  }
  pool.start = first;
  pool.window_seconds = step;
  pool.num_windows = static_cast<size_t>((last_end - first) / step);

  // Requests each client's trace carries over the span (for the share that leaves with a client
  // that has no lengths).
  auto span_requests = [&](const ParsedTrace& t) {
    double n = 0;
    for (size_t k = 0; k < t.windows.size(); ++k) {
      const double w0 = static_cast<double>(t.first_start) + static_cast<double>(k * step);
      const double lo = std::max(w0, options.span_start);
      const double hi = std::min(w0 + static_cast<double>(step), options.span_end);
      if (hi > lo && t.windows[k].active()) n += t.windows[k].rate * (hi - lo);
    }
    return n;
  };
  double all_requests = 0, missing_requests = 0;
  std::vector<std::string> missing_ids;
  std::vector<Parsed*> missing;
  for (auto& p : parsed) {
    if (!p.has_trace) continue;
    const double n = span_requests(*p.trace);
    all_requests += n;
    if (!p.has_dataset || p.lengths->empty()) {
      missing_requests += n;
      missing_ids.push_back(p.id);
      missing.push_back(&p);
    }
  }
  for (auto& p : parsed) {
    if (!p.has_trace || !p.has_dataset) continue;
    auto lengths = std::move(p.lengths).value();
    if (lengths.empty()) continue;
    Client c;
    const auto named = names.find(p.id);
    c.id = named != names.end() ? named->second : p.id;
    c.windows.assign(pool.num_windows, TraceWindow{});
    const ParsedTrace& t = *p.trace;
    const size_t offset = static_cast<size_t>((t.first_start - first) / step);
    std::copy(t.windows.begin(), t.windows.end(),
              c.windows.begin() + static_cast<ptrdiff_t>(offset));
    c.lengths = std::move(lengths);
    pool.clients.push_back(std::move(c));
  }
  if (pool.clients.empty()) {
    return Result<ClientPool>::Error(source + ": no client has both a trace and a dataset file");
  }
  if (!missing.empty()) {
    // What leaves with them, over the span the caller asked for.
    const double share = all_requests > 0 ? missing_requests / all_requests : 0.0;
    std::string ids;
    for (size_t i = 0; i < missing_ids.size(); ++i) {
      if (i == 8) {
        ids += fmt::format(", ... ({} in all)", missing_ids.size());
        break;
      }
      ids += (i ? ", " : "") + missing_ids[i];
    }
    if (options.keep_clients_without_lengths) {
      const std::vector<LengthWindow> pooled = PooledLengths(pool);
      for (Parsed* p : missing) {
        Client c;
        const auto named = names.find(p->id);
        c.id = named != names.end() ? named->second : p->id;
        c.windows.assign(pool.num_windows, TraceWindow{});
        const ParsedTrace& t = *p->trace;
        const size_t offset = static_cast<size_t>((t.first_start - first) / step);
        std::copy(t.windows.begin(), t.windows.end(),
                  c.windows.begin() + static_cast<ptrdiff_t>(offset));
        c.lengths = pooled;
        pool.clients.push_back(std::move(c));
      }
      pool.notes.push_back(
          fmt::format("{} client(s) without length data ({}) kept with the pool's pooled length "
                      "distributions: {:.1f}% of the span's requests",
                      missing.size(), ids, 100.0 * share));
    } else {
      pool.notes.push_back(fmt::format(
          "{} client(s) without length data ({}) left out: {:.1f}% of the span's requests leave "
          "with them; --keep-unmatched keeps them with the pool's pooled length distributions",
          missing.size(), ids, 100.0 * share));
    }
  }
  ApplyClientParams(params, pool);
  size_t length_windows = 0;
  for (const auto& c : pool.clients) length_windows += c.lengths.size();
  spdlog::debug(
      "loaded {}: {} clients, {} windows of {} s from {}, {} length windows parsed for span [{}, "
      "{}), {} notes",
      source, pool.clients.size(), pool.num_windows, pool.window_seconds, pool.start,
      length_windows, options.span_start, options.span_end, pool.notes.size());
  Category fallback = Category::kLanguage;
  if (source.find("multimodal") != std::string::npos || source.find("mm-") != std::string::npos) {
    fallback = Category::kMultimodal;
  } else if (source.find("reason") != std::string::npos) {
    fallback = Category::kReason;
  }
  pool.category =
      options.category ? *options.category : InferCategory(pool.clients.front().lengths, fallback);
  for (const auto& c : pool.clients) {
    for (const auto& w : c.lengths) {
      LLMS_RETURN_IF_ERROR(
          CheckRequiredFields(w, pool.category, source + "/chunk-" + c.id + "-dataset.json"));
    }
  }
  return pool;
}

Result<ClientPool> LoadPoolFromDirectory(const std::string& dir, const LoadOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Result<ClientPool>::Error(dir +
                                     ": not a directory; pass a ServeGen data directory such as "
                                     "data/language/m-large (or use --preset)");
  }
  std::vector<MappedFile> maps;
  std::vector<PoolFile> files;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("chunk-", 0) == 0 || name == "clients.csv" || name == kClientParamsFile)
      names.push_back(name);
  }
  if (ec) return Result<ClientPool>::Error(dir + ": cannot list: " + ec.message());
  std::sort(names.begin(), names.end());
  maps.reserve(names.size());
  for (const auto& name : names) {
    auto m = MappedFile::Open((fs::path(dir) / name).string());
    if (!m.ok()) return m.status();
    maps.push_back(std::move(m).value());
  }
  for (size_t i = 0; i < names.size(); ++i) files.push_back(PoolFile{names[i], maps[i].view()});
  std::string source = dir;
  while (source.size() > 1 && source.back() == '/') source.pop_back();
  return LoadPoolFromFiles(files, source, options);
}

}  // namespace llms::servegen
