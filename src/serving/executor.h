// The seam between the scheduler and the hardware. A policy (policy.h) decides what an instance
// does next as an Action; an Executor carries it out on one instance and says how long it took.
// CpuExecutor runs real tensors on the CPU engine (the time is measured); SimExecutor predicts the
// time from latency models and the simulation advances a virtual clock by it. The policies never
// call an engine or a clock themselves, so simulated and real runs share their scheduling code.
#pragma once

#include <cstdint>
#include <vector>

#include "serving/request.h"

namespace llms::serving {

enum class ActionKind {
  // Make `model` the instance's active model and `requests` its resident sequences: every other
  // sequence's KV leaves for the host pool, the weights come in unless `model` is already
  // resident (a swap between two batches of one model moves only KV), then `requests`' KV in.
  kSwitch,
  kPrefill,  // prefill `requests` (all of `model`) and produce each one's first token
  kDecode,   // one decode step of `requests` (all of `model`): one token each
};

struct Action {
  ActionKind kind = ActionKind::kDecode;
  int model = -1;
  int from_model = -1;                    // kSwitch: the model being replaced (-1: none)
  std::vector<ServingRequest*> requests;  // kPrefill/kDecode: the batch; kSwitch: KV to move in
  std::vector<ServingRequest*> kv_out;    // kSwitch: sequences whose KV leaves the instance
  double prefetched_s = 0.0;  // kSwitch: weight loading already done by a prefetch, in seconds
  bool kv_out_after = false;  // kPrefill: hand the batch's KV to the host pool afterwards
  uint64_t batch = 0;         // the policy's own tag for the batch (kDecode, kSwitch)
};

// A switch of an instance from `from_model` (-1: none) to `model`, with no KV to move yet.
inline Action SwitchAction(int model, int from_model) {
  Action a;
  a.kind = ActionKind::kSwitch;
  a.model = model;
  a.from_model = from_model;
  return a;
}

// Where the time of a switch went (Aegaeon's auto-scaling sequence): KV out (the outgoing batch's
// blocks to the host pool), stop (release the outgoing model's engine state; instances switch
// between steps, so nothing is still running: the CPU executor measures the release, the
// simulator charges nothing), engine start, weights in, KV in, then the first step.
// `engine_start_s` is what a stock engine's scale-up adds (re-initialising the engine, profiling
// memory, allocating the KV cache): Aegaeon's component reuse removes it, so only the simulated
// baselines charge it.
struct SwitchPhases {
  double stop_s = 0, kv_out_s = 0, engine_start_s = 0, weights_in_s = 0, kv_in_s = 0;
  double first_step_s = 0;  // the first step after the switch (filled in by the policy)
  double total() const { return stop_s + kv_out_s + engine_start_s + weights_in_s + kv_in_s; }
  // Phase by phase, for sums and means over many switches.
  SwitchPhases& operator+=(const SwitchPhases& o) {
    stop_s += o.stop_s;
    kv_out_s += o.kv_out_s;
    engine_start_s += o.engine_start_s;
    weights_in_s += o.weights_in_s;
    kv_in_s += o.kv_in_s;
    first_step_s += o.first_step_s;
    return *this;
  }
  SwitchPhases& operator/=(double n) {
    stop_s /= n;
    kv_out_s /= n;
    engine_start_s /= n;
    weights_in_s /= n;
    kv_in_s /= n;
    first_step_s /= n;
    return *this;
  }
};

struct ActionResult {
  double seconds = 0.0;  // how long the action took (measured or predicted)
  SwitchPhases phases;   // kSwitch only
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Carries out `action` on this executor's instance. For kPrefill and kDecode a real executor
  // appends each request's new token to `output` (and may set `stopped`); it must not touch
  // `generated` or `token_s`, which the policy updates when the action completes.
  virtual ActionResult Run(const Action& action) = 0;
};

}  // namespace llms::serving
