// Sampler: picks the next token from logits: greedy (temperature 0), or temperature with top-k,
// top-p (nucleus), min-p, a repetition penalty, OpenAI's frequency and presence penalties and a
// logit bias, drawing from the project's seeded Rng so a seed reproduces a completion on every
// machine. Order, llama.cpp's: logit bias, repetition penalty, OpenAI penalties, then (temperature
// > 0) top-k, top-p and min-p on the untempered probabilities, then the temperature over the
// tokens left and one draw. Only as much of the vocabulary is sorted as the truncation needs.
// Stateless apart from its Rng; one per sequence. Also: the log-probabilities of a token and of
// the most likely alternatives (the OpenAI API's `logprobs`).
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "core/rng.h"

namespace llms::engine {

struct SamplingParams {
  float temperature = 1.0f;  // 0: greedy
  int top_k = 0;             // 0: off
  float top_p = 1.0f;        // 1: off
  // CTRL-style, as llama.cpp and Hugging Face apply it: once per distinct token among the last
  // `repeat_last_n` tokens of the context (prompt and output), a positive logit divided by it, a
  // negative one multiplied; > 1 discourages repeats.
  float repetition_penalty = 1.0f;
  int repeat_last_n = 64;  // llama.cpp's default; -1: the whole context; 0: no penalty
  float min_p = 0.0f;      // keep tokens with probability >= min_p x the most likely's (0: off)
  uint64_t seed = 0;
  // OpenAI's: logit -= frequency_penalty * count + presence_penalty * (count > 0), with count a
  // token's occurrences in the output so far (as vLLM counts them).
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  std::vector<std::pair<int, float>> logit_bias;  // token id -> added to its logit
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params) : p_(params), rng_(params.seed) {}
  // `context` holds the tokens so far (for the repetition penalty), of which the first
  // `prompt_tokens` are the prompt (the rest, the output, count for the OpenAI penalties).
  int Sample(std::span<const float> logits, std::span<const int> context, size_t prompt_tokens = 0);

 private:
  SamplingParams p_;
  Rng rng_;
  std::vector<std::pair<float, int>> work_;
  std::vector<double> probs_;
  std::vector<int> counts_;  // scratch for the OpenAI penalties and the repetition window
};

int Argmax(std::span<const float> logits);

// log softmax(logits)[token], and the `top` most likely tokens with theirs (most likely first,
// ties by id).
struct TokenLogprobs {
  float logprob = 0;
  std::vector<std::pair<int, float>> top;
};
TokenLogprobs ComputeLogprobs(std::span<const float> logits, int token, int top);

}  // namespace llms::engine
