// What `aegaeon bench` writes: the JSON result (the fields the README promises: completed,
// failed, ttft_s / tpot_s / tbt_s / e2e_s percentiles, both SLO attainments, goodput, throughput,
// send lag, per-model figures, optionally every request), the terminal summary and a
// self-contained HTML report with charts.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

#include "bench/bench_runner.h"

namespace llms::bench {

std::string ResultJson(const BenchOptions& options, const BenchResult& result,
                       bool include_requests);
std::string TerminalSummary(const BenchOptions& options, const BenchResult& result);
std::string ResultHtml(const BenchOptions& options, const BenchResult& result);

// A side-by-side table of saved JSON results (`aegaeon bench --compare A.json B.json ...`), each
// column labelled by its `label` field (set with --label) or its file name.
Result<std::string> CompareResults(const std::vector<std::string>& paths);

}  // namespace llms::bench
