// What every report shares (servegen's fidelity report, aegaeon bench's and aegaeon sim's): a
// sample's CDF thinned for a chart, latency percentiles and SLO summaries as JSON, and the
// self-contained HTML page around a report's body.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/slo.h"
#include "core/stats.h"

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

}  // namespace llms
