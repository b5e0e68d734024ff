// ServingRequest: one request as the scheduler tracks it from arrival to its last token: the
// model it is for, its prompt (token ids for real runs; only the length in simulation), how many
// tokens it may produce, the tokens produced so far with the time each arrived, and how it ended.
// The scheduler's policies advance `generated` and `token_s`; an executor that runs real tensors
// also fills `output` and may end a request early (`stopped`, on EOS or a stop string).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace llms::serving {

// A flag another thread may raise while the scheduler and executors run (a client that went
// away). Copying reads the value, so requests stay copyable values.
class CancelFlag {
 public:
  CancelFlag() = default;
  CancelFlag(const CancelFlag& o) : v_(o.raised()) {}
  CancelFlag& operator=(const CancelFlag& o) {
    v_.store(o.raised(), std::memory_order_relaxed);
    return *this;
  }
  void Raise() { v_.store(true, std::memory_order_relaxed); }
  bool raised() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> v_{false};
};

struct ServingRequest {
  uint64_t id = 0;
  int model = -1;  // index into the served models
  double arrival_s = 0.0;
  int prompt_tokens = 0;
  int max_output_tokens = 1;
  std::vector<int32_t> prompt;  // token ids (real runs only)
  uint64_t seed = 0;            // sampling seed (real runs)
  float temperature = 0.0f;     // 0: greedy
  float top_p = 1.0f;           // nucleus sampling (1: off)
  int top_k = 0;                // 0: off
  bool ignore_eos = false;      // produce max_output_tokens even past EOS (benchmarks)
  // Raised when the client no longer wants the request: the executor ends it (failed,
  // "cancelled") at its next step and frees its KV, wherever the KV is.
  CancelFlag cancel;

  // Progress, written by the scheduler (and `output`/`stopped` by a real executor).
  int generated = 0;
  std::vector<double> token_s;  // arrival time of each output token
  std::vector<int32_t> output;  // the tokens (real runs only)
  bool stopped = false;         // ended before max_output_tokens (EOS, stop string)
  bool failed = false;
  std::string error;            // why it failed or was rejected
  bool kv_on_instance = false;  // its KV blocks are in the memory of the instance serving it
  // Set by the policy (under the driver's lock) once the request has left the system: after the
  // action that finished it completed, or on rejection. Drivers wait on this, not on done().
  bool finished = false;

  int context() const { return prompt_tokens + generated; }
  bool done() const { return failed || stopped || generated >= max_output_tokens; }
  // KV tokens reserved for the request: its whole prompt plus every token it may produce.
  int64_t reserved_tokens() const {
    return static_cast<int64_t>(prompt_tokens) + max_output_tokens;
  }
};

}  // namespace llms::serving
