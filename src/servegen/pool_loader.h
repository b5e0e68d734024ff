// Loads a client pool in ServeGen's data layout: `chunk-<id>-trace.csv` (one row per window) and
// `chunk-<id>-dataset.json` (Python dict literals of length distributions per 6 h window), from
// a directory or from in-memory files (the embedded presets). Parses without eval and validates:
// probabilities sum to 1 within 1e-6, rates/CVs/shapes finite and >= 0, windows aligned to one
// step across all files. Errors name file:line and what is wrong. A client without a dataset file
// is reported in ClientPool::notes with the share of the span's requests it carries, and left out
// (or kept with pooled lengths), not fatal. An optional client_params.csv (conversation_model.h)
// gives clients their conversation model and input/output rank correlation.
//
// Only the dataset windows a time span needs are parsed (the others are scanned and skipped), so
// loading one hour of a 14-day pool parses a fraction of the files: trace rows outside the span are
// checked for shape and alignment only (left inactive), and dataset files are scanned only up to
// the span's end. With `validate_all` every row and window is parsed and validated (what `servegen
// inspect` does), so the whole pool is available.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"

namespace llms::servegen {

struct LoadOptions {
  // Absolute time span (seconds since the data's time 0) whose length windows are needed.
  double span_start = 0.0;
  double span_end = std::numeric_limits<double>::infinity();
  bool validate_all = false;
  std::optional<Category> category;  // otherwise inferred from the fields present
  int threads = 1;  // files are parsed in parallel; the result does not depend on it
  // Clients with a trace but no (active) dataset file: kept with the pool's rate-weighted pooled
  // length distributions instead of left out (either way a note says their share of requests).
  bool keep_clients_without_lengths = false;
};

struct PoolFile {
  std::string name;          // file name, e.g. "chunk-3-trace.csv"
  std::string_view content;  // must outlive the load call
};

Result<ClientPool> LoadPoolFromDirectory(const std::string& dir, const LoadOptions& options);
Result<ClientPool> LoadPoolFromFiles(const std::vector<PoolFile>& files, const std::string& source,
                                     const LoadOptions& options);

// Exposed for tests: parse one trace CSV / one dataset JSON. `name` is used in error messages.
struct ParsedTrace {
  int64_t first_start = 0;
  int64_t step = 0;  // 0 when the file has a single row
  std::vector<TraceWindow> windows;
};
// Rows wholly outside [span_start, span_end) are checked for shape and alignment only; their
// values are left inactive (the generator never reads them). Pass an infinite span to parse all.
Result<ParsedTrace> ParseTraceCsv(std::string_view content, const std::string& name,
                                  double span_start = -std::numeric_limits<double>::infinity(),
                                  double span_end = std::numeric_limits<double>::infinity());
Result<std::vector<LengthWindow>> ParseDatasetJson(std::string_view content,
                                                   const std::string& name,
                                                   const LoadOptions& options);

}  // namespace llms::servegen
