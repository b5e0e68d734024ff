// Sampler: picks the next token from logits: greedy (temperature 0), or temperature with top-k,
// top-p (nucleus) and a repetition penalty, drawing from the project's seeded Rng so a seed
// reproduces a completion on every machine. Stateless apart from its Rng; one per sequence.
#pragma once

#include <span>
#include <vector>

#include "core/rng.h"

namespace llms::engine {

struct SamplingParams {
  float temperature = 1.0f;         // 0: greedy
  int top_k = 0;                    // 0: off
  float top_p = 1.0f;               // 1: off
  float repetition_penalty = 1.0f;  // > 1 discourages tokens already in the context
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params) : p_(params), rng_(params.seed) {}
  // `context` holds the tokens so far (for the repetition penalty).
  int Sample(std::span<const float> logits, std::span<const int> context);

 private:
  SamplingParams p_;
  Rng rng_;
  std::vector<std::pair<float, int>> work_;
};

int Argmax(std::span<const float> logits);

}  // namespace llms::engine
