// Policy: a multi-model scheduling policy over a pool of instances. The driver (the simulation's
// event loop, or one thread per instance in real runs) submits requests as they arrive, asks the
// policy what an idle instance should do next, has that instance's Executor run it, and reports
// completion; the policy updates request progress (tokens and their times) on completion.
// Implementations: Aegaeon's token-level auto-scaling (aegaeon_policy.h), request-level
// auto-scaling with and without its "plus" refinements (request_level_policy.h), static
// multiplexing and one dedicated instance per model (multiplexing_policy.h).
// Policies are not thread-safe: real drivers call them under one lock.
//
// Admission: every policy accepts a request only when its prompt plus output budget can be served
// (in whole KV blocks, on one instance and, where KV leaves the instances, in the host KV pool);
// accepted work beyond what fits now waits in a bounded queue, and nothing accepted is ever failed
// for lack of KV space (docs/serving.md states each policy's rule).
// Lifetime: a policy holds a request from Submit until it calls Retire (request.h's `finished`),
// which it does exactly when the request has left every one of its structures.
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
  // Host KV pool (Aegaeon): bytes for the KV of sequences off their instance, in slabs of
  // `host_kv_slab_bytes` (each slab holds blocks of one shape). 0: unbounded.
  double host_kv_bytes = 0;
  double host_kv_slab_bytes = 0;
  // Keep one SwitchRecord per switch (simulation reports); a server keeps only the sums.
  bool record_switches = true;
};

struct SwitchRecord {
  int instance = 0;
  double start_s = 0;
  int from_model = -1, to_model = -1;
  SwitchPhases phases;
};

struct PolicyStats {
  int64_t switch_count = 0;
  SwitchPhases switch_phases;               // summed over every switch
  std::vector<SwitchRecord> switches;       // each switch, when ClusterSpec::record_switches
  std::vector<double> busy_s;               // per instance
  std::map<std::string, int64_t> rejected;  // RejectReasonName -> count
  double peak_memory_fraction = 0;          // highest arena use of any instance
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Accepts `r` (queued) or rejects it: then r->reject and r->error say why.
  virtual bool Submit(ServingRequest* r, double now) = 0;
  // The client withdrew `r` (its cancel flag is raised): a request that only waits leaves at
  // once (finished, kCancelled); one in a batch is ended by the executor at its next step.
  virtual void Withdraw(ServingRequest* r) = 0;
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
  void Reject(ServingRequest* r, RejectReason why, const std::string& message);
  // The request has left every structure of the policy: the driver may release it. Retiring a
  // request twice is a broken invariant (it would be released twice): the process aborts.
  static void Retire(ServingRequest* r);
  // Ends a request that waited and was withdrawn, and retires it.
  static void RetireCancelled(ServingRequest* r);
  // Credits a finished prefill/decode action: one token per request at `end`.
  static void EmitTokens(const Action& action, double end);
  // Removes done requests from `running`, retiring each; returns the KV blocks they reserved.
  static int64_t RemoveDone(std::vector<ServingRequest*>* running);
  // KV blocks a request reserves on an instance: its prompt plus its whole output budget.
  static int64_t ReservedBlocks(const ServingRequest* r) {
    return KvBlocksFor(r->reserved_tokens());
  }
  PolicyStats stats_;
  bool record_switches_ = true;  // subclasses copy ClusterSpec::record_switches

 private:
  std::vector<int> awaiting_first_step_;  // per instance: switched, until its next step ends
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
