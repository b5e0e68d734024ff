// Transformer: the Llama-family forward pass over a batch of (sequence, token, position) rows that
// share one pass through the weights: a prefill is several rows of one sequence, a decode step is
// one row for each of many sequences of different lengths. Keys and values go to the paged
// KvCache through each sequence's block table. The math follows llama2.c's `forward` (RMSNorm,
// RoPE on adjacent pairs, grouped-query causal attention, SwiGLU), so outputs match it exactly.
// Not thread-safe: one Transformer (with its scratch buffers) per executor thread.
#pragma once

#include <span>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/model.h"

namespace llms::engine {

struct BatchRow {
  BlockTable* sequence;  // must have room for `pos` (KvCache::Reserve) before Forward
  int token;
  int pos;
  bool want_logits;
};

class Transformer {
 public:
  Transformer(const Model& model, KvCache& cache);
  // Runs the rows; rows of one sequence must come in increasing position order. Returns logits
  // [rows with want_logits][vocab] in row order. Updates each sequence's length.
  const std::vector<float>& Forward(std::span<const BatchRow> rows);

 private:
  const Model& model_;
  KvCache& cache_;
  std::vector<float> x_, xb_, xb2_, q_, k_, v_, hb_, hb2_, att_, logits_;
};

}  // namespace llms::engine
