// GenerateText: prefill + decode loop with streaming and stop handling.
#include "engine/generation.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "engine/kv_cache.h"
#include "engine/text_stream.h"
#include "engine/transformer.h"

namespace llms::engine {

Result<GenerationResult> GenerateText(const Model& model, const Tokenizer& tokenizer,
                                      std::string_view prompt, const GenerationOptions& options,
                                      const std::function<void(std::string_view)>& on_text) {
  using Clock = std::chrono::steady_clock;
  GenerationResult result;
  // The caller's own prompt (aegaeon run): its special tokens are read, as llama.cpp's CLI does.
  result.prompt_tokens = tokenizer.Encode(prompt, tokenizer.add_bos(), /*parse_special=*/true);
  if (result.prompt_tokens.empty()) {
    return Result<GenerationResult>::Error(
        "the prompt is empty and this model's tokenizer adds no BOS token: give a prompt");
  }
  const int n_prompt = static_cast<int>(result.prompt_tokens.size());
  const int ctx = model.config.seq_len;
  if (n_prompt >= ctx) {
    return Result<GenerationResult>::Error(fmt::format(
        "the prompt is {} tokens but the model's context is {}; shorten it", n_prompt, ctx));
  }
  if (options.max_tokens < 0) return Result<GenerationResult>::Error("max_tokens must be >= 0");
  const int total = std::min(ctx, n_prompt + options.max_tokens);
  KvCache cache(model.config, (total + KvCache::kBlockTokens - 1) / KvCache::kBlockTokens);
  BlockTable seq;
  cache.Reserve(seq, total);
  ThreadPool pool(options.threads);
  Transformer transformer(model, cache, &pool);
  Sampler sampler(options.sampling);
  if (options.echo_prompt && on_text) {
    Utf8Stream utf8;
    std::string echo;
    for (int i = 1; i < n_prompt; ++i)
      echo += utf8.Push(tokenizer.DecodePiece(result.prompt_tokens[static_cast<size_t>(i - 1)],
                                              result.prompt_tokens[static_cast<size_t>(i)]));
    on_text(echo);
  }
  auto emit = [&](const std::string& piece) {
    result.text += piece;
    if (on_text && !piece.empty()) on_text(piece);
  };
  // Prefill: every prompt position in one batch; logits for the last one only.
  const auto t0 = Clock::now();
  std::vector<BatchRow> rows;
  for (int p = 0; p < n_prompt; ++p)
    rows.push_back({&seq, result.prompt_tokens[static_cast<size_t>(p)], p, p == n_prompt - 1});
  std::vector<float> logits = transformer.Forward(rows);
  const auto t1 = Clock::now();
  result.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();
  std::vector<int> context = result.prompt_tokens;
  TextStream text(tokenizer, result.prompt_tokens.back(), options.stop);
  result.finish_reason = "length";
  for (int pos = n_prompt; result.tokens.size() < static_cast<size_t>(options.max_tokens); ++pos) {
    const int next = sampler.Sample(logits, context, static_cast<size_t>(n_prompt));
    if (next == tokenizer.eos() || next == tokenizer.bos()) {
      result.finish_reason = "stop";
      break;
    }
    result.tokens.push_back(next);
    context.push_back(next);
    emit(text.Push(next));
    if (text.stopped()) {
      result.finish_reason = "stop";
      break;
    }
    if (result.tokens.size() == static_cast<size_t>(options.max_tokens)) break;
    if (pos >= total) {
      result.finish_reason = "context";
      break;
    }
    BatchRow row{&seq, next, pos, true};
    logits = transformer.Forward(std::span<const BatchRow>(&row, 1));
  }
  emit(text.Finish());
  result.decode_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return result;
}

}  // namespace llms::engine
