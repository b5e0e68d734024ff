// Model: a transformer of the Llama family held in memory: its configuration and views of its
// weight tensors (of any supported ggml type). Weights stay where the loader mapped them (never
// copied or parsed twice) unless the caller placed them in an arena (weights_arena.h); the Model
// owns the mapping. Immutable after loading; safe to share across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "engine/ggml_types.h"
#include "engine/model_config.h"

namespace llms::engine {

// A row-major matrix [rows][cols] of `type` (vectors have rows == 1), applied as y = W x. Norm
// weights and biases are always F32 (loaders convert them); `data` is null for an absent bias.
struct Tensor {
  GgmlType type = GgmlType::kF32;
  const void* data = nullptr;
  int64_t rows = 0, cols = 0;
  size_t row_bytes() const { return RowBytes(type, cols); }
  size_t bytes() const { return row_bytes() * static_cast<size_t>(rows); }
  const uint8_t* Row(int64_t r) const {
    return static_cast<const uint8_t*>(data) + static_cast<size_t>(r) * row_bytes();
  }
  const float* f32() const { return static_cast<const float*>(data); }
};

struct LayerWeights {
  Tensor rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3;  // w1 gate, w2 down, w3 up
  Tensor bq, bk, bv;                                    // qwen2's QKV biases; absent for llama
};

struct Model {
  ModelConfig config;
  Tensor token_embedding;  // [vocab][dim]
  std::vector<LayerWeights> layers;
  Tensor rms_final;
  Tensor classifier;  // [vocab][dim]; the token embedding when shared
  std::shared_ptr<const MappedFile> file;
  std::vector<std::vector<float>> converted;  // F32 copies of norms/biases stored in other types
  std::shared_ptr<void> arena_owner;          // keeps an arena placement alive (weights_arena.h)

  // Every weight tensor, for placement and byte accounting (the classifier only when separate).
  std::vector<Tensor*> AllTensors();
  std::vector<const Tensor*> AllTensors() const {
    const std::vector<Tensor*> all = const_cast<Model*>(this)->AllTensors();
    return {all.begin(), all.end()};
  }
  // Bytes of all weight tensors as stored (no alignment; see WeightsArenaBytes for placement).
  size_t WeightBytes() const {
    size_t bytes = 0;
    for (const Tensor* t : AllTensors()) bytes += t->bytes();
    return bytes;
  }
};

inline std::vector<Tensor*> Model::AllTensors() {
  std::vector<Tensor*> all{&token_embedding, &rms_final};
  if (classifier.data != token_embedding.data) all.push_back(&classifier);
  for (auto& l : layers) {
    for (Tensor* t : {&l.rms_att, &l.wq, &l.wk, &l.wv, &l.wo, &l.rms_ffn, &l.w1, &l.w2, &l.w3,
                      &l.bq, &l.bk, &l.bv}) {
      if (t->data) all.push_back(t);
    }
  }
  return all;
}

}  // namespace llms::engine
