// Experiments for `aegaeon sim`: a JSON file describing a cluster (GPU type, nodes, GPUs per node,
// prefill/decode split, memory), the served models (a repeating mix of model types, each with its
// measured profile and/or architecture shape for the roofline), the SLOs, the workload (generated
// arrivals with a length sample, or a trace file) and the sweep (numbers of models, rates,
// policies). Relative paths in the file are relative to the file's directory. The format is
// documented in docs/sim.md; experiments/paper-sweep-a.json is an example.
// RunPoint simulates one (policy, number of models, rate) and summarises it; RunSweep runs every
// point of the sweep on all cores (each point is independent and deterministic).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/slo.h"
#include "core/status.h"
#include "serving/policy.h"
#include "serving/router.h"
#include "sim/latency_model.h"
#include "sim/workload.h"

namespace llms::sim {

struct ModelType {
  std::string name;     // label in reports, e.g. "qwen2.5-7b"
  std::string profile;  // model name in the profiles (empty: roofline only)
  std::string shape;    // engine model preset for the roofline and the memory sizes
  int count = 1;        // how many of every sum(count) served models are of this type
  std::optional<SloTargets>
      slo;  // this type's own SLOs (decode quotas, attainment); else the run's
};

struct ExperimentSpec {
  std::string path, description;
  std::string gpu = "H800";
  int nodes = 1, gpus_per_node = 8, prefill_per_node = 3, decode_per_node = 5;
  // "pool": one policy schedules every instance of every node (the paper's setting); "proxy":
  // each node its own policy over its own instances, every request routed to a node by the
  // cluster's rule (serving/router.h) over node states refreshed every quarter `lease_s`, as
  // aegaeon proxy routes over aegaeon serve --cluster nodes.
  std::string routing = "pool";
  double lease_s = 2.0;
  int64_t switch_penalty =
      serving::Router::kDefaultSwitchPenalty;  // as aegaeon proxy --switch-penalty
  double memory_bytes = 0;                     // per instance; 0: the GPU's memory
  double bytes_per_weight = 2.0;
  double load_efficiency = 0.15;  // weights load at this fraction of host-to-device bandwidth
  // Seconds every switch of a baseline policy (request-level, request-level-plus, multiplexing,
  // dedicated) adds for re-initialising a stock engine; Aegaeon's policies never pay it.
  double baseline_engine_start_s = 0;
  std::string profiles;  // latency.csv (may be empty: roofline for every model)
  // A measured latency profile (aegaeon latency --measure): the models are its entries (weights,
  // KV and latencies as measured; no shapes, GPU or roofline), loads take their measured time.
  std::string latency_profile;
  std::vector<ModelType> model_types;
  SloTargets slo;
  WorkloadSpec workload;
  std::string lengths;  // artifact synth CSV whose (input, output) pairs are sampled
  std::string trace;    // instead of generating: a trace file; "{n}" is replaced by the models
  // Instead of generating: what aegaeon bench sends from this servegen preset at the point's rate
  // (in all), its lengths clipped to max_input/max_output (0: no clip), spread over the models as
  // bench spreads them, so a bench sweep and its prediction replay the same requests.
  std::string preset;
  int max_input = 0, max_output = 0;
  double drain_s = 600;  // simulated time allowed after the workload's end
  int max_queue = 4096;
  std::vector<int> num_models;
  std::vector<double> rates;
  bool rates_in_all = false;  // sweep.rate: the rates are requests per second in all, not per model
  std::vector<std::string> policies;
};

Result<ExperimentSpec> LoadExperiment(const std::string& path);

struct PointResult {
  std::string policy;
  int num_models = 0;
  double rate_per_model = 0;
  double rate = 0;  // requests per second in all
  SloSummary summary;
  // The workload's SLO classes (a trace's slo_class): each judged by its own targets.
  std::vector<SloClassTargets> slo_classes;
  std::vector<SloSummary> per_class;
  int64_t requests = 0, rejected = 0, unfinished = 0;
  std::map<std::string, int64_t> rejected_by_reason;
  int64_t switches = 0;
  double switches_per_s = 0;
  serving::SwitchPhases mean_switch;  // mean of each phase over the run's switches
  double utilisation = 0;             // mean busy fraction of the instances
  double peak_memory_fraction = 0;
  double simulated_s = 0;
  int64_t events = 0;
  double wall_s = 0;
  // Kept when asked for (single runs' reports): per-request timings.
  std::vector<RequestTiming> timings;
};

// An experiment with its profiles fitted and its length sample loaded, ready to run points.
class Experiment {
 public:
  static Result<Experiment> Load(const ExperimentSpec& spec);
  const ExperimentSpec& spec() const { return spec_; }
  // The served models for `num_models` (names m000.., types by the mix).
  Result<std::vector<serving::ServedModel>> Models(int num_models) const;
  serving::ClusterSpec Cluster() const;
  Result<PointResult> RunPoint(const std::string& policy, int num_models, double rate,
                               bool keep_timings = false) const;
  // Every (policy, num_models, rate) of the spec; `progress(done, total)` after each.
  Result<std::vector<PointResult>> RunSweep(
      const std::function<void(size_t, size_t)>& progress = nullptr) const;
  // Type of served model i.
  const ModelType& TypeOf(int model) const;

 private:
  // What aegaeon bench sends from spec_.preset at `rate` (in all) over `num_models` models.
  Result<std::vector<serving::ServingRequest>> PresetWorkload(double rate, int num_models) const;
  ExperimentSpec spec_;
  GpuSpec gpu_;
  std::map<std::string, FittedLatency> fits_;              // by profile name
  std::map<std::string, serving::ModelLatency> measured_;  // cluster.latency_profile, by model
  std::vector<LengthPair> lengths_;
  std::vector<int> pattern_;  // model type of served model i % pattern size
};

// The sweep CSV: `policy,num_models,rate_per_model,slo_attainment,conventional_attainment,
// goodput_rps,ttft_p99_s,tpot_p99_s,switches`.
std::string SweepCsv(const std::vector<PointResult>& points);
// Whether `policy` runs on a stock engine in simulation (pays `baseline_engine_start_s`).
bool RunsOnStockEngine(const std::string& policy);
// Per policy and rate: the largest number of models with SLO attainment >= `threshold`.
std::map<std::pair<std::string, double>, int> MaxModelsAtAttainment(
    const std::vector<PointResult>& points, double threshold = 0.9);

}  // namespace llms::sim
