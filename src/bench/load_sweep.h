// LoadSweep: the same workload replayed at several rates (or concurrencies) against an
// OpenAI-compatible endpoint, or against servers it starts itself, one per policy (aegaeon bench
// sweep). Each (policy, rate) is one RunBench and gives one RatePoint (core/report.h); the JSON
// and the self-contained HTML page show SLO attainment (both definitions), goodput, TTFT and
// TPOT p50/p99 against the rate, one line per policy, with the rate at which each falls below
// 90% attainment, and, beside them as dashed lines, predicted points (aegaeon sim sweep --points)
// for comparison point by point.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_runner.h"
#include "core/report.h"
#include "core/status.h"

namespace llms::bench {

struct SweepOptions {
  BenchOptions bench;         // the workload, SLOs, models; the endpoint when no server is started
  std::vector<double> rates;  // preset: requests/s in all; trace: Poisson requests/s in all
  bool concurrency = false;   // `rates` are numbers of requests in flight (closed loop)
  // With `server_argv`: one server per policy, started with this command line (its "{policy}"
  // replaced by the policy) plus --port 0 --port-file, stopped after its rates. Without: the
  // runs go to bench.endpoint, labelled by the one policy name given.
  std::vector<std::string> policies;
  std::vector<std::string> server_argv;
  // Started servers' logs and each point's full result (<policy>-<rate>.json, as aegaeon bench
  // --output writes it, with every request); nothing is written when empty.
  std::string work_dir;
  std::function<void(const std::string&)> say;
};

Result<std::vector<RatePoint>> RunLoadSweep(const SweepOptions& options);

// Points predicted for the same sweep (aegaeon sim sweep --points), drawn dashed beside the
// measured ones and labelled "POLICY (LABEL)".
struct Prediction {
  std::string label = "predicted";
  std::string source;  // where the points came from (a file name), for the page's note
  std::vector<RatePoint> points;
};

// A sweep as its JSON keeps it, enough to draw it again with other predictions.
struct SweepRecord {
  std::vector<RatePoint> points;
  bool concurrency = false;
  std::string note;  // what was run
};

// {"rate_unit", "note", "points": [...], "below_90": {policy: {"last_at_or_above",
// "first_below", "crossing"}}, "predictions": [{"label", "source", "points", "below_90"}, ...]}.
std::string LoadSweepJson(const SweepRecord& sweep, const std::vector<Prediction>& predictions);
// Reads LoadSweepJson's output back (its predictions are not kept: give them again).
Result<SweepRecord> ParseLoadSweep(const nlohmann::json& j);
// The page: charts, the points' table, the crossings, and the note (what was run) at the top.
std::string LoadSweepHtml(const SweepRecord& sweep, const std::vector<Prediction>& predictions);
// Each policy's line "POLICY: SLO attainment falls below 90% at about R req/s (between A and
// B)", or that it stays at or above 90%, or is below from the first rate.
std::string LoadSweepCrossings(const SweepRecord& sweep);
// The points as a terminal table.
std::string LoadSweepTable(const std::vector<RatePoint>& points);
// Measured against predicted at each (policy, rate) both have: SLO attainment and goodput, and
// the largest attainment difference in percentage points. Empty when no point is in both.
std::string LoadSweepComparison(const std::vector<RatePoint>& measured,
                                const std::vector<RatePoint>& predicted);
// The policies' goodput at the highest rate, each against the first policy's: "aegaeon 2.15
// req/s, request-level 0.80 req/s (aegaeon 2.69x)". Empty with fewer than two policies.
std::string GoodputAtHighestRate(const std::vector<RatePoint>& points);

}  // namespace llms::bench
