// Serving-latency metrics shared by the simulator and the benchmark client: per request, the
// arrival time and the time each output token arrived (or an error); per run, TTFT, TBT and TPOT
// distributions, SLO attainment as the Aegaeon paper defines it, the conventional fraction of
// requests meeting both SLOs, and goodput.
//
// Token-level SLO attainment (Aegaeon): token k of a request (k = 0 for the first) has the
// deadline base + k' * TPOT, where base starts at arrival + TTFT with k' = k; when a token is
// late, deadlines restart from it (base = its arrival time, k' counted from it). The request's
// score is the fraction of its service time (arrival to last token) spent meeting deadlines: a
// late token makes the whole wait for it (from the previous token, or from arrival for the
// first) bad. For example arrival 0, tokens at 3, 6, 7, 8 s, TTFT 3 s, TPOT 2 s: the token at 6
// misses its 5 s deadline, so 3..6 is bad; deadlines restart at 6 (8, 10) and are met: 5/8.
// Attainment is the mean score over requests; a failed request scores 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace llms {

struct SloTargets {
  double ttft_s = 10.0;  // Aegaeon's defaults
  double tpot_s = 0.1;
};

// A named service class of a workload (a trace's slo_class) and its targets.
struct SloClassTargets {
  std::string name;
  SloTargets slo;
};

// "NAME=TTFT_S,TPOT_S", a model's own SLOs on a command line (both > 0).
Result<std::pair<std::string, SloTargets>> ParseModelSlo(std::string_view spec);

struct RequestTiming {
  double arrival_s = 0.0;
  std::vector<double> token_s;    // arrival time of each output token, non-decreasing
  bool failed = false;            // ended in an error (or produced no token)
  std::optional<SloTargets> slo;  // this request's own targets (per-model SLOs); else the run's
};

// The request's token-level score in [0, 1] (see above).
double SloScore(const RequestTiming& r, const SloTargets& slo);
// TTFT <= slo.ttft_s and mean time per output token (after the first) <= slo.tpot_s.
bool MeetsBothSlos(const RequestTiming& r, const SloTargets& slo);

struct Percentiles {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
Percentiles Summarize(std::vector<double> values);

struct SloSummary {
  int64_t completed = 0, failed = 0;
  Percentiles ttft_s, tbt_s, tpot_s, e2e_s;
  double slo_attainment = 0;           // mean token-level score (Aegaeon's definition)
  double conventional_attainment = 0;  // fraction meeting both TTFT and mean-TPOT SLOs
  double goodput_rps = 0;              // requests meeting both SLOs per second of `duration_s`
  double output_tokens_per_s = 0;
};

// `duration_s`: the run's length for rates (first arrival to last token when 0). A request with
// its own `slo` is judged against it, the others against `slo`.
SloSummary SummarizeRequests(const std::vector<RequestTiming>& requests, const SloTargets& slo,
                             double duration_s = 0.0);

}  // namespace llms
