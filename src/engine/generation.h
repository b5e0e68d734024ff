// Text generation on one model for one prompt: prefill the prompt as one batch, then decode token
// by token, streaming UTF-8 text through a callback; stops at max_tokens, EOS (or BOS, the
// llama2.c document separator), a stop string, or the model's context. The CLI's `aegaeon run` and
// the tests use it; the server's scheduler drives the Transformer directly.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/tokenizer.h"

namespace llms::engine {

struct GenerationOptions {
  int max_tokens = 256;  // generated tokens (not counting the prompt)
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings (not included in the output)
  bool echo_prompt = true;        // stream the prompt's text first, as llama2.c prints it
  int threads = 0;                // compute threads (0: one per core)
};

struct GenerationResult {
  std::vector<int> prompt_tokens;
  std::vector<int> tokens;    // generated
  std::string text;           // generated text (without the prompt)
  std::string finish_reason;  // "length", "stop" or "context"
  double prefill_seconds = 0.0, decode_seconds = 0.0;
};

Result<GenerationResult> GenerateText(
    const Model& model, const Tokenizer& tokenizer, std::string_view prompt,
    const GenerationOptions& options,
    const std::function<void(std::string_view)>& on_text = nullptr);

}  // namespace llms::engine
