// Transformer: the Llama-family forward pass over a batch of (sequence, token, position) rows that
// share one pass through the weights: a prefill is several rows of one sequence, a decode step is
// one row for each of many sequences of different lengths. Keys and values go to the paged
// KvCache through each sequence's block table. The math follows llama2.c's `forward` (RMSNorm,
// RoPE, grouped-query causal attention, SwiGLU) plus the GGUF variants (QKV biases, NeoX RoPE);
// with the scalar kernels F32 outputs match llama2.c exactly. Matrix products and attention run on
// the optional ThreadPool. Not thread-safe: one Transformer (with its scratch buffers) per
// executor.
#pragma once

#include <span>
#include <vector>

#include "core/thread_pool.h"
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
  Transformer(const Model& model, KvCache& cache, ThreadPool* pool = nullptr);
  // Runs the rows; rows of one sequence must come in increasing position order. Returns logits
  // [rows with want_logits][vocab] in row order. Updates each sequence's length.
  const std::vector<float>& Forward(std::span<const BatchRow> rows);

 private:
  void MatMul(float* out, const Tensor& w, const float* in, size_t n);
  const Model& model_;
  KvCache& cache_;
  ThreadPool* pool_;
  std::vector<float> x_, xb_, xb2_, q_, k_, v_, hb_, hb2_, rope_, logits_;
  std::vector<float> inv_freq_;  // RoPE frequency of each pair of a head (scaling applied)
};

}  // namespace llms::engine
