// Selecting and reshaping a client pool for one generation span: keep clients active in the span,
// filter by id, rate rank, burstiness (CV) and request lengths, and scale individual clients
// ("the top client doubles"). Statistics used by the filters are taken over the span's windows,
// weighted by each window's rate, as ServeGen's ClientPoolView does.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"

namespace llms::servegen {

struct Range {
  double min = 0.0;
  double max = 0.0;
  bool Contains(double v) const { return v >= min && v <= max; }
};
// "A:B", "A:" (no upper bound), ":B" (no lower bound).
Result<Range> ParseRange(const std::string& text, const std::string& flag);

struct PoolFilter {
  std::vector<std::string> client_ids;  // keep only these (empty: all)
  size_t top_k = 0;                     // keep the k clients with the highest mean rate (0: all)
  std::optional<Range> cv;              // rate-weighted mean inter-arrival CV
  std::optional<Range> mean_input;      // rate-weighted mean input length
  std::optional<Range> mean_output;
  std::optional<double> max_input;  // largest input length a client may produce
  std::optional<double> max_output;
  // (selector, factor): selector is a client id or "topN" (the N-th client by mean rate, from 1).
  std::vector<std::pair<std::string, double>> scales;
};
// Parses "ID=F" or "topN=F" for --scale-client.
Result<std::pair<std::string, double>> ParseClientScale(const std::string& text);

// Per-client summary over a span, used by filters, `inspect` and the report.
struct ClientSummary {
  double mean_rate = 0.0;   // after rate_scale
  double mean_cv = 0.0;     // rate-weighted
  double mean_input = 0.0;  // rate-weighted mean of input (or text, for multimodal) tokens
  double mean_output = 0.0;
  double max_input = 0.0;
  double max_output = 0.0;
  size_t active_windows = 0;
};
ClientSummary SummarizeClient(const ClientPool& pool, const Client& c, size_t first_window,
                              size_t last_window);

// Windows [first, last) that overlap the absolute span [start, start + duration).
std::pair<size_t, size_t> SpanWindows(const ClientPool& pool, double start, double duration);

// Returns the filtered, scaled pool. Fails with a clear message when the span lies outside the data
// or when no client is left.
Result<ClientPool> ApplyFilter(const ClientPool& pool, const PoolFilter& filter, double span_start,
                               double duration);

}  // namespace llms::servegen
