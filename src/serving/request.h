// ServingRequest: one request as the scheduler tracks it from arrival to its last token: the
// model it is for, its prompt (token ids for real runs; only the length in simulation), how many
// tokens it may produce and how to sample them, the tokens produced so far with the time each
// arrived, and how it ended (a FinishReason, and a RejectReason when it was refused).
// The scheduler's policies advance `generated` and `token_s`; an executor that runs real tensors
// also fills `output` (and `logprobs`) and may end a request early (EOS, the context's end, a
// cancellation, a failure).
// Ownership: whoever submits a request keeps it alive until the driver reports it released; a
// policy holds it from Submit until it retires it (`finished`), and a driver never releases a
// request while an action still refers to it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
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

// How a request ended. kNone while it runs (or waits).
enum class FinishReason : uint8_t {
  kNone,
  kLength,       // it produced max_output_tokens
  kEos,          // the model ended it (an end-of-sequence token)
  kContextFull,  // the model's context window is full
  kCancelled,    // the client withdrew it (gone, or satisfied by a stop string)
  kRejected,     // refused on submission: `reject` says why
  kFailed,       // failed after acceptance for a reason the user can act on (`error`)
  kInternal,     // failed on a broken internal invariant (`error` is for the operator's log)
  kUnfinished,   // a simulation stopped before it ended
};
std::string_view FinishReasonName(FinishReason r);

// Why a policy refused a request on submission.
enum class RejectReason : uint8_t {
  kNone,
  kQueueFull,  // too many requests of its model wait already (retry later)
  kTooLarge,   // its prompt plus output budget can never fit (an instance's or the host's KV)
  kNotPlaced,  // its model fits on no instance (static multiplexing)
};
std::string_view RejectReasonName(RejectReason r);

// The log-probabilities of one generated token: its own and the `top` alternatives (most likely
// first), from the model's distribution before sampling adjustments.
struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top;
};

struct ServingRequest {
  uint64_t id = 0;
  int model = -1;  // index into the served models
  double arrival_s = 0.0;
  int prompt_tokens = 0;
  int max_output_tokens = 1;
  int slo_class = -1;           // the workload's service class, for scoring (-1: none)
  std::vector<int32_t> prompt;  // token ids (real runs only)
  // Sampling (real runs).
  uint64_t seed = 0;
  float temperature = 0.0f;                                 // 0: greedy
  float top_p = 1.0f;                                       // nucleus sampling (1: off)
  int top_k = 0;                                            // 0: off
  float frequency_penalty = 0.0f, presence_penalty = 0.0f;  // OpenAI's, over the output
  float repetition_penalty = 1.0f;  // CTRL-style, once per distinct token of the window
  int repeat_last_n = 64;           // that window: the last N tokens (-1: all; 0: off)
  float min_p = 0.0f;               // keep tokens >= min_p x the most likely's probability
  std::vector<std::pair<int32_t, float>> logit_bias;  // added to the logits
  int logprobs = -1;        // -1: none; n >= 0: each token's logprob and the top n
  bool ignore_eos = false;  // produce max_output_tokens even past EOS (benchmarks)
  // Raised when the client no longer wants the request: the policy drops it if it only waits,
  // otherwise the executor ends it (kCancelled) at its next step and frees its KV.
  CancelFlag cancel;

  // Progress, written by the scheduler (and `output`, `logprobs`, `finish` by a real executor).
  int generated = 0;
  std::vector<double> token_s;             // arrival time of each output token
  std::vector<int32_t> output;             // the tokens (real runs only)
  std::vector<TokenLogprob> logprobs_out;  // one per output token when `logprobs` >= 0
  FinishReason finish = FinishReason::kNone;
  RejectReason reject = RejectReason::kNone;
  std::string error;            // why it failed or was rejected
  bool kv_on_instance = false;  // its KV blocks are in the memory of the instance serving it
  // Set by the policy (under the driver's lock) when the request has left every structure of
  // the policy: after the action that ended it completed, or on rejection or withdrawal.
  bool finished = false;

  int context() const { return prompt_tokens + generated; }
  bool failed() const {
    return finish == FinishReason::kCancelled || finish == FinishReason::kRejected ||
           finish == FinishReason::kFailed || finish == FinishReason::kInternal ||
           finish == FinishReason::kUnfinished;
  }
  // Ended by the model before max_output_tokens (EOS, or its context window full).
  bool stopped() const {
    return finish == FinishReason::kEos || finish == FinishReason::kContextFull;
  }
  bool done() const { return finish != FinishReason::kNone || generated >= max_output_tokens; }
  // Ends the request (the first reason given wins).
  void Finish(FinishReason why, std::string message = {}) {
    if (finish != FinishReason::kNone) return;
    finish = why;
    error = std::move(message);
  }
  // KV tokens reserved for the request: its whole prompt plus every token it may produce.
  int64_t reserved_tokens() const {
    return static_cast<int64_t>(prompt_tokens) + max_output_tokens;
  }
};

}  // namespace llms::serving
