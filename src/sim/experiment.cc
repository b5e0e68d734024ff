// Loading experiments, building served models from profiles and shapes, running sweep points.
#include "sim/experiment.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/thread_pool.h"
#include "engine/model_presets.h"
#include "servegen/presets.h"
#include "servegen/trace_reader.h"
#include "serving/router.h"
#include "sim/latency_profile.h"
#include "sim/sim_executor.h"
#include "sim/simulation.h"

namespace llms::sim {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Resolve(const std::string& base_file, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(base_file).parent_path() / p).lexically_normal().string();
}

Status CheckKeys(const json& j, const std::vector<std::string>& known, const std::string& where);

// Numbers as a list or {"from", "to", "step"}.
template <typename T>
Result<std::vector<T>> Range(const json& j, const std::string& what) {
  std::vector<T> out;
  if (j.is_number()) return std::vector<T>{j.get<T>()};
  if (j.is_array()) {
    for (const auto& v : j) {
      if (!v.is_number()) return Status::Error(what + ": expected numbers");
      out.push_back(v.get<T>());
    }
  } else if (j.is_object()) {
    if (Status st = CheckKeys(j, {"from", "to", "step"}, what); !st.ok()) return st;
    const T from = j.at("from").get<T>(), to = j.at("to").get<T>(), step = j.at("step").get<T>();
    if (!(step > 0)) return Status::Error(what + ": step must be > 0");
    for (T v = from; v <= to + step * 1e-9; v += step) out.push_back(v);
  }
  if (out.empty()) return Status::Error(what + ": expected a number, a list or {from, to, step}");
  return out;
}

// An error naming the first key of object `j` not in `known` ("where" says which object).
Status CheckKeys(const json& j, const std::vector<std::string>& known, const std::string& where) {
  if (!j.is_object()) return Status::Error(where + " must be an object");
  for (const auto& [key, value] : j.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::Error(fmt::format("unknown key '{}' in {} (known: {})", key, where, list));
    }
  }
  return Status::Ok();
}

}  // namespace

bool RunsOnStockEngine(const std::string& policy) {
  return policy.rfind("aegaeon", 0) != 0;
}

Result<ExperimentSpec> LoadExperiment(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error(fmt::format("{}: cannot open the experiment file", path));
  ExperimentSpec s;
  s.path = path;
  try {
    const json j = json::parse(in);
    // Every object's keys are checked, so a misspelt option is an error rather than a default.
    Status keys = CheckKeys(
        j, {"description", "cluster", "models", "slo", "workload", "sweep", "drain_s", "max_queue"},
        "the experiment");
    const std::vector<std::string> slo_keys{"ttft_s", "tpot_s"};
    auto check = [&](const char* key, const std::vector<std::string>& known) {
      if (keys.ok() && j.contains(key)) keys = CheckKeys(j.at(key), known, key);
    };
    check("cluster",
          {"gpu", "nodes", "gpus_per_node", "prefill_per_node", "decode_per_node", "memory_gb",
           "memory_mib", "bytes_per_weight", "load_efficiency", "baseline_engine_start_s",
           "profiles", "latency_profile", "routing", "lease_s", "switch_penalty"});
    check("slo", slo_keys);
    check("workload",
          {"arrivals", "cv", "servegen_preset", "servegen_rates", "duration_s", "input_scale",
           "output_scale", "seed", "lengths", "trace", "preset", "max_input", "max_output"});
    check("sweep", {"num_models", "rate_per_model", "rate", "policies"});
    if (keys.ok() && j.contains("models") && j.at("models").is_array()) {
      for (const json& m : j.at("models")) {
        keys = CheckKeys(m, {"name", "profile", "shape", "count", "slo"}, "a model type");
        if (keys.ok() && m.contains("slo"))
          keys = CheckKeys(m.at("slo"), slo_keys, "a model's slo");
        if (!keys.ok()) break;
      }
    }
    if (!keys.ok()) return Status::Error(fmt::format("{}: {}", path, keys.message()));
    s.description = j.value("description", "");
    const json& c = j.at("cluster");
    s.gpu = c.value("gpu", s.gpu);
    s.nodes = c.value("nodes", s.nodes);
    s.gpus_per_node = c.value("gpus_per_node", s.gpus_per_node);
    s.prefill_per_node = c.value("prefill_per_node", s.prefill_per_node);
    s.decode_per_node = c.value("decode_per_node", s.decode_per_node);
    s.routing = c.value("routing", s.routing);
    if (s.routing != "pool" && s.routing != "proxy") {
      return Status::Error(fmt::format(
          "{}: cluster.routing is '{}': give 'pool' (one scheduler over every node's instances) "
          "or 'proxy' (a scheduler per node, requests routed over the nodes)",
          path, s.routing));
    }
    s.lease_s = c.value("lease_s", s.lease_s);
    s.switch_penalty = c.value("switch_penalty", s.switch_penalty);
    if (!(s.lease_s > 0))
      return Status::Error(fmt::format("{}: cluster.lease_s must be > 0", path));
    s.memory_bytes = c.contains("memory_mib") ? c.value("memory_mib", 0.0) * (1 << 20)
                                              : c.value("memory_gb", 0.0) * 1e9;
    s.bytes_per_weight = c.value("bytes_per_weight", s.bytes_per_weight);
    s.load_efficiency = c.value("load_efficiency", s.load_efficiency);
    if (!(s.load_efficiency > 0 && s.load_efficiency <= 1)) {
      return Status::Error(fmt::format("{}: cluster.load_efficiency must be in (0, 1]", path));
    }
    s.baseline_engine_start_s = c.value("baseline_engine_start_s", s.baseline_engine_start_s);
    if (!(s.baseline_engine_start_s >= 0 && std::isfinite(s.baseline_engine_start_s))) {
      return Status::Error(fmt::format(
          "{}: cluster.baseline_engine_start_s must be a number of seconds >= 0", path));
    }
    s.profiles = Resolve(path, c.value("profiles", ""));
    s.latency_profile = Resolve(path, c.value("latency_profile", ""));
    if (j.contains("slo")) {
      s.slo.ttft_s = j["slo"].value("ttft_s", s.slo.ttft_s);
      s.slo.tpot_s = j["slo"].value("tpot_s", s.slo.tpot_s);
    }
    for (const json& m : j.at("models")) {
      ModelType t;
      t.name = m.at("name").get<std::string>();
      t.profile = m.value("profile", "");
      t.shape = s.latency_profile.empty() ? m.at("shape").get<std::string>()
                                          : m.value("shape", std::string());
      t.count = m.value("count", 1);
      if (t.count < 1)
        return Status::Error(fmt::format("{}: model {}: count must be >= 1", path, t.name));
      if (m.contains("slo")) {
        SloTargets own = s.slo;  // a key left out takes the experiment's
        own.ttft_s = m["slo"].value("ttft_s", own.ttft_s);
        own.tpot_s = m["slo"].value("tpot_s", own.tpot_s);
        if (!(own.ttft_s > 0 && own.tpot_s > 0)) {
          return Status::Error(
              fmt::format("{}: model {}: slo ttft_s and tpot_s must be > 0", path, t.name));
        }
        t.slo = own;
      }
      s.model_types.push_back(t);
    }
    if (s.model_types.empty()) return Status::Error(fmt::format("{}: 'models' is empty", path));
    const json& w = j.at("workload");
    auto kind = ParseArrivalKind(w.value("arrivals", "poisson"));
    if (!kind.ok()) return Status::Error(fmt::format("{}: {}", path, kind.message()));
    s.workload.arrivals = *kind;
    s.workload.cv = w.value("cv", 1.0);
    s.workload.servegen_preset = w.value("servegen_preset", s.workload.servegen_preset);
    auto skewed = ParseServegenSkewed(w.value("servegen_rates", std::string("equal")));
    if (!skewed.ok()) return Status::Error(fmt::format("{}: workload.{}", path, skewed.message()));
    s.workload.servegen_skewed = *skewed;
    s.workload.duration_s = w.value("duration_s", s.workload.duration_s);
    s.workload.input_scale = w.value("input_scale", 1.0);
    s.workload.output_scale = w.value("output_scale", 1.0);
    s.workload.seed = w.value("seed", uint64_t{1});
    s.lengths = Resolve(path, w.value("lengths", ""));
    s.trace = Resolve(path, w.value("trace", ""));
    s.preset = w.value("preset", "");
    s.max_input = w.value("max_input", 0);
    s.max_output = w.value("max_output", 0);
    if (s.lengths.empty() && s.trace.empty() && s.preset.empty()) {
      return Status::Error(
          fmt::format("{}: the workload needs 'lengths', 'trace' or 'preset'", path));
    }
    s.drain_s = j.value("drain_s", s.drain_s);
    s.max_queue = j.value("max_queue", s.max_queue);
    const json& sw = j.at("sweep");
    auto n = Range<int>(sw.at("num_models"), "sweep.num_models");
    if (!n.ok()) return Status::Error(fmt::format("{}: {}", path, n.message()));
    s.num_models = *n;
    if (sw.contains("rate") == sw.contains("rate_per_model")) {
      return Status::Error(
          fmt::format("{}: the sweep needs 'rate_per_model' or 'rate' (in all), not both", path));
    }
    s.rates_in_all = sw.contains("rate");
    auto r = s.rates_in_all ? Range<double>(sw.at("rate"), "sweep.rate")
                            : Range<double>(sw.at("rate_per_model"), "sweep.rate_per_model");
    if (!r.ok()) return Status::Error(fmt::format("{}: {}", path, r.message()));
    s.rates = *r;
    s.policies = sw.value("policies", serving::PolicyNames());
  } catch (const json::exception& e) {
    return Status::Error(fmt::format("{}: {}", path, e.what()));
  }
  for (const auto& p : s.policies) {
    if (std::find(serving::PolicyNames().begin(), serving::PolicyNames().end(), p) ==
        serving::PolicyNames().end()) {
      return Status::Error(
          fmt::format("{}: unknown policy '{}' (known: {})", path, p, serving::PolicyNameList()));
    }
  }
  return s;
}

Result<Experiment> Experiment::Load(const ExperimentSpec& spec) {
  Experiment e;
  e.spec_ = spec;
  if (!spec.latency_profile.empty()) {
    auto profile = serving::ReadLatencyProfile(spec.latency_profile);
    if (!profile.ok()) return profile.status();
    for (auto& m : *profile) e.measured_[m.model] = m;
    if (!(spec.memory_bytes > 0)) {
      return Status::Error(fmt::format(
          "{}: with cluster.latency_profile give the instances' memory (cluster.memory_mib)",
          spec.path));
    }
    e.gpu_.name = "measured";
    e.gpu_.memory_bytes = spec.memory_bytes;
    for (size_t t = 0; t < spec.model_types.size(); ++t) {
      const ModelType& m = spec.model_types[t];
      const std::string entry = m.profile.empty() ? m.name : m.profile;
      if (!e.measured_.count(entry)) {
        return Status::Error(fmt::format("{}: model {}: no entry '{}' in {}", spec.path, m.name,
                                         entry, spec.latency_profile));
      }
      for (int k = 0; k < m.count; ++k) e.pattern_.push_back(static_cast<int>(t));
    }
    return e;
  }
  const GpuSpec* gpu = FindGpu(spec.gpu);
  if (!gpu) {
    std::string known;
    for (const auto& g : KnownGpus()) known += (known.empty() ? "" : ", ") + g.name;
    return Status::Error(
        fmt::format("{}: unknown GPU '{}' (known: {})", spec.path, spec.gpu, known));
  }
  e.gpu_ = *gpu;
  if (spec.memory_bytes > 0) e.gpu_.memory_bytes = spec.memory_bytes;
  if (!spec.profiles.empty()) {
    auto rows = LoadLatencyProfiles(spec.profiles);
    if (!rows.ok()) return rows.status();
    for (auto& f : FitLatencyModels(*rows)) {
      if (f.gpu == spec.gpu) e.fits_[f.model] = f;
    }
  }
  for (size_t t = 0; t < spec.model_types.size(); ++t) {
    const ModelType& m = spec.model_types[t];
    if (!engine::FindModelPreset(m.shape)) {
      return Status::Error(
          fmt::format("{}: model {}: unknown shape '{}' (see `aegaeon model "
                      "dummy --help` for the presets)",
                      spec.path, m.name, m.shape));
    }
    if (!m.profile.empty() && !e.fits_.count(m.profile)) {
      return Status::Error(fmt::format(
          "{}: model {}: no profile '{}' on {} in {} (leave 'profile' out to use the roofline)",
          spec.path, m.name, m.profile, spec.gpu, spec.profiles));
    }
    for (int k = 0; k < m.count; ++k) e.pattern_.push_back(static_cast<int>(t));
  }
  if (spec.trace.empty() && spec.preset.empty()) {
    auto lengths = LoadLengthPairs(spec.lengths);
    if (!lengths.ok()) return lengths.status();
    e.lengths_ = std::move(*lengths);
  }
  return e;
}

const ModelType& Experiment::TypeOf(int model) const {
  return spec_
      .model_types[static_cast<size_t>(pattern_[static_cast<size_t>(model) % pattern_.size()])];
}

Result<std::vector<serving::ServedModel>> Experiment::Models(int num_models) const {
  std::vector<serving::ServedModel> out;
  for (int i = 0; i < num_models; ++i) {
    const ModelType& t = TypeOf(i);
    if (!measured_.empty()) {
      // Measured on the executor's own hardware: its sizes and latencies as they are.
      const serving::ModelLatency& lat = measured_.at(t.profile.empty() ? t.name : t.profile);
      serving::ServedModel m;
      m.name = num_models == static_cast<int>(spec_.model_types.size())
                   ? t.name
                   : fmt::format("m{:03d}-{}", i, t.name);
      m.weight_bytes = lat.weight_bytes;
      m.kv_bytes_per_token = lat.kv_bytes_per_token;
      m.latency = serving::MeasuredPredictor(lat);
      if (t.slo) m.tpot_slo_s = t.slo->tpot_s;
      out.push_back(std::move(m));
      continue;
    }
    const engine::ModelPreset& preset = *engine::FindModelPreset(t.shape);
    serving::ServedModel m;
    m.name = fmt::format("m{:03d}-{}", i, t.name);
    m.weight_bytes = static_cast<double>(engine::ParameterCount(preset.config, preset.tied)) *
                     spec_.bytes_per_weight;
    m.kv_bytes_per_token = 2.0 * preset.config.n_layers * preset.config.kv_dim() * 2.0;
    m.layers = preset.config.n_layers;
    const RooflineLatency roof = RooflineLatency::For(preset.config, spec_.bytes_per_weight, gpu_);
    std::optional<FittedLatency> fit;
    if (!t.profile.empty()) fit = fits_.at(t.profile);
    m.latency =
        std::make_shared<GpuLatency>(fit, roof, m.weight_bytes, gpu_, spec_.load_efficiency);
    if (t.slo) m.tpot_slo_s = t.slo->tpot_s;
    out.push_back(std::move(m));
  }
  return out;
}

serving::ClusterSpec Experiment::Cluster() const {
  serving::ClusterSpec c;
  c.instances = spec_.nodes * spec_.gpus_per_node;
  c.prefill_instances = spec_.nodes * spec_.prefill_per_node;
  c.instance_memory = gpu_.memory_bytes;
  c.slo = spec_.slo;
  c.max_queue = spec_.max_queue;
  return c;
}

Result<PointResult> Experiment::RunPoint(const std::string& policy_name, int num_models,
                                         double rate, bool keep_timings) const {
  const auto t0 = std::chrono::steady_clock::now();
  auto models = Models(num_models);
  if (!models.ok()) return models.status();
  // One policy over every instance, or ("proxy" routing) one per node over its own.
  const bool per_node = spec_.routing == "proxy" && spec_.nodes > 1;
  serving::ClusterSpec cluster = Cluster();
  if (per_node) {
    cluster.instances = spec_.gpus_per_node;
    cluster.prefill_instances = spec_.prefill_per_node;
  }
  std::vector<std::unique_ptr<serving::Policy>> policies;
  for (int k = 0; k < (per_node ? spec_.nodes : 1); ++k) {
    auto policy = serving::MakePolicy(policy_name, *models, cluster);
    if (!policy.ok()) return policy.status();
    policies.push_back(std::move(*policy));
  }
  const double per_model = spec_.rates_in_all ? rate / num_models : rate;
  const double in_all = spec_.rates_in_all ? rate : rate * num_models;
  std::vector<SloClassTargets> classes;
  Result<std::vector<serving::ServingRequest>> requests = [&] {
    if (!spec_.preset.empty()) return PresetWorkload(in_all, num_models);
    if (!spec_.trace.empty()) {
      std::string path = spec_.trace;
      if (const auto at = path.find("{n}"); at != std::string::npos) {
        path.replace(at, 3, std::to_string(num_models));
      }
      if (const auto at = path.find("{rate}"); at != std::string::npos) {
        path.replace(at, 6, fmt::format("{}", rate));
      }
      return LoadWorkloadTrace(path, num_models, &classes);
    }
    WorkloadSpec w = spec_.workload;
    w.num_models = num_models;
    w.rate_per_model = per_model;
    return GenerateWorkload(w, lengths_);
  }();
  if (!requests.ok()) return requests.status();
  for (const auto& r : *requests) {
    if (r.model < 0 || r.model >= num_models) {
      return Status::Error(
          fmt::format("the workload names model {} but {} are served", r.model, num_models));
    }
  }
  const double engine_start = RunsOnStockEngine(policy_name) ? spec_.baseline_engine_start_s : 0.0;
  std::vector<std::vector<std::unique_ptr<serving::Executor>>> executors(policies.size());
  std::vector<SimNode> nodes;
  for (size_t k = 0; k < policies.size(); ++k) {
    for (int i = 0; i < policies[k]->instances(); ++i) {
      executors[k].push_back(std::make_unique<SimExecutor>(&*models, engine_start));
    }
    nodes.push_back({policies[k].get(), &executors[k]});
  }
  double last_arrival = requests->empty() ? 0 : requests->back().arrival_s;
  VirtualClock clock;
  uint64_t turn = 0;
  // The proxy's view of each node, as its heartbeat would give it: the request's model (resident
  // when an instance switched to it, or the router sent it one since the refresh) and, under an
  // unnamed entry, the rest of the node's queue.
  const SimRouteFn route = [&turn, penalty = spec_.switch_penalty](
                               const serving::ServingRequest& r,
                               std::vector<SimNodeState>& states) {
    std::vector<serving::NodeInfo> view(states.size());
    const size_t m = static_cast<size_t>(r.model);
    const std::string name = std::to_string(r.model);
    for (size_t k = 0; k < states.size(); ++k) {
      const SimNodeState& s = states[k];
      int64_t all = 0;
      for (size_t j = 0; j < s.waiting.size(); ++j) all += s.waiting[j] + s.running[j];
      const bool resident =
          s.routed[m] || std::find(s.instance_model.begin(), s.instance_model.end(), r.model) !=
                             s.instance_model.end();
      view[k].name = std::to_string(k);
      view[k].models = {{name, resident, s.waiting[m], s.running[m]},
                        {"", false, all - s.waiting[m] - s.running[m], 0}};
    }
    const int k = serving::Router::Route(name, view, {}, turn++, penalty);
    if (k >= 0) {
      states[static_cast<size_t>(k)].waiting[m] += 1;  // counted until the next refresh
      states[static_cast<size_t>(k)].routed[m] = 1;
    }
    return k;
  };
  const SimulationOutcome outcome = SimulateCluster(
      nodes, *requests, clock, last_arrival + spec_.drain_s, num_models, route, spec_.lease_s / 4);

  PointResult p;
  p.policy = policy_name;
  p.num_models = num_models;
  p.rate_per_model = per_model;
  p.rate = in_all;
  p.requests = static_cast<int64_t>(requests->size());
  p.unfinished = outcome.unfinished;
  p.events = outcome.events;
  p.simulated_s = outcome.end_s;
  serving::PolicyStats st;  // every node's, together
  for (const auto& policy : policies) {
    const serving::PolicyStats& s = policy->stats();
    st.switch_count += s.switch_count;
    st.switch_phases += s.switch_phases;
    st.switches.insert(st.switches.end(), s.switches.begin(), s.switches.end());
    st.busy_s.insert(st.busy_s.end(), s.busy_s.begin(), s.busy_s.end());
    for (const auto& [reason, n] : s.rejected) st.rejected[reason] += n;
    st.peak_memory_fraction = std::max(st.peak_memory_fraction, s.peak_memory_fraction);
  }
  for (const auto& [reason, count] : st.rejected) p.rejected += count;
  p.rejected_by_reason = st.rejected;
  p.switches = st.switch_count;
  const double span = std::max(outcome.end_s, 1e-9);
  p.switches_per_s = static_cast<double>(p.switches) / span;
  p.mean_switch = st.switch_phases;
  if (p.switches > 0) p.mean_switch /= static_cast<double>(p.switches);
  double busy = 0;
  for (double b : st.busy_s) busy += b;
  p.utilisation = busy / (span * static_cast<double>(st.busy_s.size()));
  p.peak_memory_fraction = st.peak_memory_fraction;
  std::vector<RequestTiming> timings;
  timings.reserve(requests->size());
  std::vector<std::vector<RequestTiming>> by_class(classes.size());
  for (auto& r : *requests) {
    timings.push_back(
        {r.arrival_s, std::move(r.token_s), r.failed() || r.generated == 0, TypeOf(r.model).slo});
    if (r.slo_class >= 0 && static_cast<size_t>(r.slo_class) < classes.size()) {
      timings.back().slo = classes[static_cast<size_t>(r.slo_class)].slo;
      by_class[static_cast<size_t>(r.slo_class)].push_back(timings.back());
    }
  }
  p.summary = SummarizeRequests(timings, spec_.slo);
  p.slo_classes = classes;
  for (const auto& c : by_class) p.per_class.push_back(SummarizeRequests(c, spec_.slo));
  if (keep_timings) p.timings = std::move(timings);
  p.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return p;
}

Result<std::vector<serving::ServingRequest>> Experiment::PresetWorkload(double rate,
                                                                        int num_models) const {
  auto trace = servegen::GeneratePresetTrace(spec_.preset, rate, spec_.workload.duration_s,
                                             spec_.workload.seed);
  if (!trace.ok()) return trace.status();
  const auto& reqs = trace->batch.requests;
  std::vector<serving::ServingRequest> out;
  const double t0 = reqs.empty() ? 0.0 : reqs.front().timestamp;
  for (size_t i = 0; i < reqs.size(); ++i) {
    serving::ServingRequest r;
    r.id = i;
    r.model = servegen::ModelOfRequest(*trace, i, num_models);
    r.arrival_s = reqs[i].timestamp - t0;
    const auto [in, out_tokens] = servegen::FitLengths(reqs[i].input_tokens, reqs[i].output_tokens,
                                                       spec_.max_input, spec_.max_output, 0);
    r.prompt_tokens = in;
    r.max_output_tokens = out_tokens;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<PointResult>> Experiment::RunSweep(
    const std::function<void(size_t, size_t)>& progress) const {
  struct Job {
    std::string policy;
    int n;
    double rate;
  };
  std::vector<Job> jobs;
  for (double rate : spec_.rates) {
    for (const auto& policy : spec_.policies) {
      for (int n : spec_.num_models) jobs.push_back({policy, n, rate});
    }
  }
  std::vector<std::optional<Result<PointResult>>> results(jobs.size());
  std::atomic<size_t> done{0};
  std::mutex mu;
  const int threads = static_cast<int>(std::min(std::thread::hardware_concurrency(), 8u));
  ThreadPool(std::max(1, threads))
      .ParallelForEach(static_cast<int64_t>(jobs.size()), [&](int64_t i) {
        results[static_cast<size_t>(i)] =
            RunPoint(jobs[static_cast<size_t>(i)].policy, jobs[static_cast<size_t>(i)].n,
                     jobs[static_cast<size_t>(i)].rate);
        const size_t d = ++done;
        if (progress) {
          std::lock_guard<std::mutex> lock(mu);
          progress(d, jobs.size());
        }
      });
  std::vector<PointResult> out;
  for (auto& r : results) {
    if (!r->ok()) return r->status();
    out.push_back(std::move(**r));
  }
  return out;
}

std::string SweepCsv(const std::vector<PointResult>& points) {
  std::string out =
      "policy,num_models,rate_per_model,slo_attainment,conventional_attainment,goodput_rps,"
      "ttft_p99_s,tpot_p99_s,switches\n";
  for (const auto& p : points) {
    out +=
        fmt::format("{},{},{},{:.4f},{:.4f},{:.4f},{:.3f},{:.4f},{}\n", p.policy, p.num_models,
                    p.rate_per_model, p.summary.slo_attainment, p.summary.conventional_attainment,
                    p.summary.goodput_rps, p.summary.ttft_s.p99, p.summary.tpot_s.p99, p.switches);
  }
  return out;
}

std::map<std::pair<std::string, double>, int> MaxModelsAtAttainment(
    const std::vector<PointResult>& points, double threshold) {
  std::map<std::pair<std::string, double>, int> out;
  for (const auto& p : points) {
    int& best = out[{p.policy, p.rate_per_model}];
    if (p.summary.slo_attainment >= threshold) best = std::max(best, p.num_models);
  }
  return out;
}

}  // namespace llms::sim
