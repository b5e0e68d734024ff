// TraceWriter: streams requests to JSONL (Mooncake-compatible: `timestamp` in ms, `input_length`,
// `output_length`, `hash_ids`, plus `client_id`, `category`, `window`, any reasoning or multimodal
// fields, the conversation (`session_id`, `turn`, `think_time_ms`) and the SLO class)
// or CSV, with a fixed-size output buffer: memory does not grow with the number of requests.
// Formatting is hand-written (to_chars) because it is the hot path of `servegen generate`.
// A regular file is written under a temporary name beside it and renamed over the target only by
// a successful Close: an error, a destructor without Close, or SIGINT/SIGTERM (a handler removes
// the temporary file) leaves any previous file untouched and no partial one.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"
#include "servegen/request.h"
#include "servegen/slo_class.h"

namespace llms::servegen {

enum class TraceFormat { kJsonl, kCsv };
// From a name ("jsonl", "csv") or, when empty, from the path's extension (default JSONL).
Result<TraceFormat> ResolveTraceFormat(const std::string& name, const std::string& path);

class TraceWriter {
 public:
  // `path` "-" writes to stdout. `client_names[i]` is the id written for Request::client == i;
  // `window_starts_s[k]` the absolute start written for Request::window == k (may be empty).
  static Result<TraceWriter> Open(const std::string& path, TraceFormat format, Category category,
                                  std::vector<std::string> client_names, int64_t pool_start,
                                  int64_t window_seconds);
  TraceWriter(TraceWriter&&) noexcept;
  TraceWriter& operator=(TraceWriter&&) = delete;
  ~TraceWriter();

  // Names and targets written for Request::slo_class (set before the first Write).
  void SetSloClasses(const std::vector<SloClass>& classes);
  Status Write(const RequestBatch& batch);
  // Flushes and, for a regular file, renames the temporary file onto the target.
  Status Close();
  // Stops without producing the target (removes the temporary file).
  void Abandon();
  int64_t bytes_written() const { return bytes_; }

 private:
  TraceWriter() = default;
  void Format(const RequestBatch& batch, const Request& r);
  Status Flush();

  std::FILE* file_ = nullptr;
  bool owns_ = false;
  std::string path_;
  std::string temp_;  // the temporary file for a regular target; empty otherwise
  TraceFormat format_ = TraceFormat::kJsonl;
  Category category_ = Category::kLanguage;
  std::vector<std::string> names_json_;  // pre-escaped client ids
  std::vector<std::string> names_csv_;
  std::string category_json_;
  std::vector<std::string> slo_json_, slo_csv_;  // per class: its fields, pre-formatted
  int64_t pool_start_ = 0, window_seconds_ = 600;
  std::string buf_;  // fixed-size output buffer; [0, len_) holds formatted lines
  size_t len_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace llms::servegen
