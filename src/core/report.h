// What every report shares (servegen's fidelity report, aegaeon bench's and aegaeon sim's): a
// sample's CDF thinned for a chart, latency percentiles and SLO summaries as JSON, and the
// self-contained HTML page around a report's body.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/slo.h"
#include "core/stats.h"
#include "core/status.h"

namespace llms {

// The empirical CDF of `values` as (value, fraction <= it) points, at most about `max_points`
// of them (every k-th sorted value) plus the last, for line charts.
std::vector<std::pair<double, double>> SampleCdf(std::vector<double> values,
                                                 size_t max_points = 400);

// {"mean", "p50", "p90", "p99", "max"}.
nlohmann::json PercentilesJson(const Percentiles& p);

// Counts, attainments, goodput, throughput and the four latency distributions of an SLO summary.
nlohmann::json SloSummaryJson(const SloSummary& s);

// A whole HTML page: `title` (escaped) in its head, `css` in a style element, `body` as it is.
std::string HtmlPage(std::string_view title, std::string_view css, std::string_view body);

// One point of a load sweep: a policy (or endpoint) at a rate (requests per second in all, or a
// concurrency), and what it achieved. aegaeon bench sweep measures them, aegaeon sim sweep
// predicts them, in the same JSON: {"policy", "rate", "slo_attainment",
// "conventional_attainment", "goodput_rps", "ttft_p50_s", "ttft_p99_s", "tpot_p50_s",
// "tpot_p99_s", "completed", "failed"}.
struct RatePoint {
  std::string policy;
  double rate = 0;
  SloSummary summary;
};
nlohmann::json RatePointJson(const RatePoint& p);
// {"points": [...]} as written by RatePointsJson, or an error naming what is missing.
Result<std::vector<RatePoint>> ParseRatePoints(const nlohmann::json& j);
// Where a policy's attainment falls below `threshold` along increasing rates: the last rate at or
// above it, the first below, and the crossing by linear interpolation between them; nullopt
// fields when it never falls below (or is below from the first rate).
struct Crossing {
  std::optional<double> last_above, first_below, at;
};
Crossing AttainmentCrossing(const std::vector<RatePoint>& points, const std::string& policy,
                            double threshold = 0.9);

}  // namespace llms
