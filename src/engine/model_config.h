// ModelConfig: the shape of a transformer of the Llama family (architecture, widths, layers, heads,
// vocabulary, context, RoPE and norm settings), with nothing of its weights: what the engine runs
// and what the simulator sizes models by (with model_presets.h), so the simulator needs no engine.
#pragma once

#include <string>
#include <vector>

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
  // RoPE pairs: false rotates adjacent pairs (2i, 2i+1) as llama2.c and GGUF `llama` do; true
  // rotates (i, i + head_dim/2), the NeoX layout GGUF `qwen2` uses.
  bool rope_neox = false;
  // Llama 3.1+ RoPE scaling as GGUF stores it (tensor `rope_freqs.weight`): pair j's frequency is
  // divided by factor j (head_dim / 2 factors; empty: none). Linear scaling (GGUF
  // `rope.scaling.type` linear) divides positions by `rope_linear_scale`.
  std::vector<float> rope_freq_factors;
  float rope_linear_scale = 1.0f;
  int head_dim() const { return dim / n_heads; }
  int kv_dim() const { return n_kv_heads * head_dim(); }
};

}  // namespace llms::engine
