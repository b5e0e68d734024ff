// Fidelity report: how realistic is a workload? Compares a workload either with the model it was
// generated from (client pool + rate function: expected rates, shares and length distributions
// computed exactly; burstiness from a sample generated with a fixed seed) or with another
// workload. Measures per-window rate error, index of dispersion at several timescales,
// inter-arrival CV, client shares and per-client KS statistics of input/output lengths.
// Serialises to JSON; fidelity_html renders it as a page with charts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"
#include "servegen/rate_function.h"
#include "servegen/workload_profile.h"
#include "servegen/workload_stats.h"

namespace llms::servegen {

// A discrete CDF on sorted support points: F(values[i]) = cdf[i].
struct DiscreteCdf {
  std::vector<double> values;
  std::vector<double> cdf;
  static DiscreteCdf FromSorted(const std::vector<double>& sorted_samples);
  // Mixture of distributions with non-negative weights (normalised here).
  static DiscreteCdf Mixture(
      const std::vector<std::pair<const EmpiricalDistribution*, double>>& parts);
  double At(double x) const;
  // At most 2n + 1 points for plotting as a step function: a point is kept where the CDF has
  // risen by 1/n or more since the last kept one (and the last is always kept), so the steps
  // drawn are never more than 1/n off the true CDF at any x.
  std::vector<std::pair<double, double>> Points(size_t n) const;
};
// sup |F_a - F_b| over the union of both supports (exact for discrete distributions).
double KsDistance(const DiscreteCdf& a, const DiscreteCdf& b);

struct ClientComparison {
  std::string id;
  int64_t requests = 0;
  double share = 0.0, ref_share = 0.0;
  double cv = 0.0, ref_cv = 0.0;
  double ks_input = 0.0, ks_output = 0.0;
  bool in_reference = true;
};

struct FidelityReport {
  std::string workload_source, reference_source, reference_kind;  // kind: "model" or "workload"
  double start = 0.0, duration = 0.0, window = 600.0;
  int64_t requests = 0;
  double ref_requests = 0.0;
  std::vector<double> window_rate, ref_window_rate;  // req/s per window
  double rate_mape = 0.0, rate_max_error = 0.0, total_error = 0.0;
  std::vector<double> timescales, idc, ref_idc;
  double interarrival_cv = 0.0, ref_interarrival_cv = 0.0;
  std::vector<double> cv_timescales, cv_by_timescale, ref_cv_by_timescale;
  std::vector<ClientComparison> clients;
  double share_distance = 0.0;  // total variation distance between share vectors
  double ks_input_weighted = 0.0, ks_output_weighted = 0.0, ks_input_max = 0.0, ks_output_max = 0.0;
  // The max is over clients with at least ks_min_requests requests (smaller samples have KS
  // values near 1 by chance); which client and its sample size.
  int64_t ks_min_requests = 50;
  std::string ks_input_max_client, ks_output_max_client;
  int64_t ks_input_max_n = 0, ks_output_max_n = 0;
  int64_t ks_clients = 0, ks_small_clients = 0;  // compared; left out of the max as too small
  int64_t ks_weighted_n = 0;                     // requests behind the weighted KS
  DiscreteCdf input_cdf, output_cdf, ref_input_cdf, ref_output_cdf;
  std::vector<std::string> notes;
  std::optional<WorkloadProfile> profile;  // the workload's own profile (set by the caller)
};

// `pool` must already be filtered for the span; `sample` is a workload generated from the same
// model (used for the burstiness reference only).
FidelityReport CompareWithModel(const WorkloadStats& workload, const ClientPool& pool,
                                const RateFunction& rate, double span_start, double duration,
                                const WorkloadStats& sample);
FidelityReport CompareWorkloads(const WorkloadStats& workload, const WorkloadStats& reference);

std::string FidelityReportJson(const FidelityReport& report);

}  // namespace llms::servegen
