// Policy: a multi-model scheduling policy over a pool of instances. The driver (the simulation's
// event loop, or one thread per instance in real runs) submits requests as they arrive, asks the
// policy what an idle instance should do next, has that instance's Executor run it, and reports
// completion; the policy updates request progress (tokens and their times) on completion.
// Implementations: Aegaeon's token-level auto-scaling (aegaeon_policy.h), request-level
// auto-scaling with and without its "plus" refinements (request_level_policy.h), static
// multiplexing and one dedicated instance per model (multiplexing_policy.h).
// Policies are not thread-safe: real drivers call them under one lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/slo.h"
#include "core/status.h"
#include "serving/executor.h"
#include "serving/request.h"
#include "serving/served_model.h"

namespace llms::serving {

struct ClusterSpec {
  int instances = 1;           // every instance (request-level, multiplexing, dedicated)
  int prefill_instances = 0;   // Aegaeon: the first `prefill_instances` prefill, the rest decode
  double instance_memory = 0;  // bytes of each instance's arena
  SloTargets slo;
  int max_prefill_group = 8;   // requests per prefill batch
  int max_decode_batch = 256;  // sequences per decode batch
  int max_queue = 4096;        // waiting requests per model before new ones are rejected
  double max_round_s = 4.0;    // Aegaeon's Q_max
  double multiplex_kv_reserve =
      8e9;  // multiplexing: KV bytes each placed model needs besides weights
};

struct SwitchRecord {
  int instance = 0;
  double start_s = 0;
  int from_model = -1, to_model = -1;
  SwitchPhases phases;
};

struct PolicyStats {
  std::vector<SwitchRecord> switches;
  std::vector<double> busy_s;               // per instance
  std::map<std::string, int64_t> rejected;  // reason -> count
  double peak_memory_fraction = 0;          // highest arena use of any instance
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Accepts `r` (queued) or rejects it: then r->failed and r->error say why.
  virtual bool Submit(ServingRequest* r, double now) = 0;
  // What idle `instance` should do next; nullopt when it has nothing to do now.
  virtual std::optional<Action> Next(int instance, double now) = 0;
  // The instance finished `action` (started at `start`) at `end`. Switches are recorded here
  // (with the duration of the step that follows them) before the policy sees the completion.
  void Complete(int instance, const Action& action, const ActionResult& result, double start,
                double end);
  virtual int instances() const = 0;
  const PolicyStats& stats() const { return stats_; }

 protected:
  virtual void OnComplete(int instance, const Action& action, const ActionResult& result,
                          double start, double end) = 0;
  void Reject(ServingRequest* r, const std::string& reason);
  // Credits a finished prefill/decode action: one token per request at `end`.
  static void EmitTokens(const Action& action, double end);
  // Removes finished requests from `running`; returns the KV tokens they had reserved.
  static int64_t RemoveDone(std::vector<ServingRequest*>* running);
  PolicyStats stats_;

 private:
  std::vector<int> awaiting_first_step_;  // per instance: its last switch, until the next step
};

// Policy names as `aegaeon sim` takes them, and the same as one comma-separated line.
const std::vector<std::string>& PolicyNames();
std::string PolicyNameList();
// The policy called `name` (PolicyNames()) for these models on this cluster; an error for an
// unknown name or a model that cannot fit an instance.
Result<std::unique_ptr<Policy>> MakePolicy(const std::string& name,
                                           const std::vector<ServedModel>& models,
                                           const ClusterSpec& cluster);

}  // namespace llms::serving
