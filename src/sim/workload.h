// Workloads for `aegaeon sim`: request streams over N served models, as ServingRequests sorted by
// arrival.
// - Generated: per model an independent arrival process at `rate_per_model` for `duration_s`,
//   drawn by servegen's generator (one client per model, Gamma renewal processes in rate-rescaled
//   time, started in equilibrium and carried across windows): Poisson, a Gamma renewal process
//   with a given CV, or "servegen" (model i follows client i mod K of an embedded ServeGen pool,
//   largest clients first: that client's per-window rate shape, rescaled to the model's mean
//   rate, and its per-window inter-arrival CV); with `servegen_skewed` the models also keep their
//   clients' relative sizes (model i's mean rate is proportional to its client's, the models'
//   average still `rate_per_model`). Lengths are (input, output) pairs drawn jointly from a
//   length sample, with optional multipliers.
// - Replayed: the Aegaeon artifact's synth-*.csv (`Request Time`, `Model Name`, lengths; models
//   numbered in order of first arrival, as the artifact maps them) or a servegen trace (JSONL/CSV,
//   spread over the models as aegaeon bench spreads them: servegen::ModelOfRequest).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/slo.h"
#include "core/status.h"
#include "serving/request.h"

namespace llms::sim {

struct LengthPair {
  int input = 0, output = 0;
};

// (Input Length, Output Length) of every row of an artifact synth-*.csv.
Result<std::vector<LengthPair>> LoadLengthPairs(const std::string& path);

enum class ArrivalKind { kPoisson, kGamma, kServeGen };

struct WorkloadSpec {
  int num_models = 1;
  double rate_per_model = 0.1;  // requests per second
  double duration_s = 600;
  ArrivalKind arrivals = ArrivalKind::kPoisson;
  double cv = 1.0;                           // kGamma
  std::string servegen_preset = "language";  // kServeGen
  bool servegen_skewed = false;              // kServeGen: models keep their clients' relative rates
  double input_scale = 1.0, output_scale = 1.0;
  uint64_t seed = 1;
};

Result<ArrivalKind> ParseArrivalKind(const std::string& name);
// `servegen_rates`: "equal" (false) or "skewed" (true, WorkloadSpec::servegen_skewed).
Result<bool> ParseServegenSkewed(const std::string& rates);

Result<std::vector<serving::ServingRequest>> GenerateWorkload(
    const WorkloadSpec& spec, const std::vector<LengthPair>& lengths);

// Replays a trace file (artifact synth CSV or servegen trace) over `num_models` models (0: as many
// as the file names, artifact CSV only). An artifact CSV naming more models than are served is an
// error naming the first unserved one; a servegen trace goes as servegen::ModelOfRequest says.
// A servegen trace's SLO classes go to `classes` (when given) and each request's to its slo_class.
Result<std::vector<serving::ServingRequest>> LoadWorkloadTrace(
    const std::string& path, int num_models, std::vector<SloClassTargets>* classes = nullptr);

}  // namespace llms::sim
