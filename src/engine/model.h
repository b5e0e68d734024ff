// Model: a transformer of the Llama family held in memory: its configuration and views of its
// weight tensors. Weights stay where the loader mapped them (never copied or parsed twice); the
// Model owns the mapping. Immutable after loading; safe to share across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/mapped_file.h"

namespace llms::engine {

struct ModelConfig {
  std::string architecture = "llama";
  int dim = 0;         // embedding width
  int hidden_dim = 0;  // feed-forward width
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  // grouped-query attention: n_heads / n_kv_heads query heads share a kv head
  int vocab_size = 0;
  int seq_len = 0;  // maximum context
  float rope_theta = 10000.0f;
  float rms_eps = 1e-5f;
  int head_dim() const { return dim / n_heads; }
  int kv_dim() const { return n_kv_heads * head_dim(); }
};

// A row-major float32 matrix [rows][cols] (vectors have rows == 1), applied as y = W x.
struct TensorF32 {
  const float* data = nullptr;
  int64_t rows = 0, cols = 0;
  const float* Row(int64_t r) const { return data + r * cols; }
};

struct LayerWeights {
  TensorF32 rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3;
};

struct Model {
  ModelConfig config;
  TensorF32 token_embedding;  // [vocab][dim]
  std::vector<LayerWeights> layers;
  TensorF32 rms_final;
  TensorF32 classifier;  // [vocab][dim]; the token embedding when shared
  std::shared_ptr<const MappedFile> file;
};

}  // namespace llms::engine
