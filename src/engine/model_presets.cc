// The model-shape catalogue and parameter counts.
#include "engine/model_presets.h"

namespace llms::engine {

const std::vector<ModelPreset>& ModelPresets() {
  static const std::vector<ModelPreset> presets = [] {
    auto make = [](std::string name, std::string desc, std::string arch, int dim, int hidden,
                   int layers, int heads, int kv, int vocab, int ctx, float theta, float eps,
                   bool tied) {
      ModelPreset p;
      p.name = std::move(name);
      p.description = std::move(desc);
      ModelConfig& c = p.config;
      c.architecture = std::move(arch);
      c.dim = dim;
      c.hidden_dim = hidden;
      c.n_layers = layers;
      c.n_heads = heads;
      c.n_kv_heads = kv;
      c.vocab_size = vocab;
      c.seq_len = ctx;
      c.rope_theta = theta;
      c.rms_eps = eps;
      c.rope_neox = c.architecture == "qwen2";
      p.tied = tied;
      return p;
    };
    // Shapes from the models' published configurations (config.json on their model cards).
    return std::vector<ModelPreset>{
        make("llama-tiny", "a 4-layer Llama for tests (about 7M parameters)", "llama", 256, 768, 4,
             8, 4, 4096, 2048, 10000.0f, 1e-5f, true),
        make("qwen2-0.5b", "Qwen2/Qwen2.5 0.5B shape", "qwen2", 896, 4864, 24, 14, 2, 151936, 32768,
             1000000.0f, 1e-6f, true),
        make("qwen2-1.5b", "Qwen2/Qwen2.5 1.5B shape", "qwen2", 1536, 8960, 28, 12, 2, 151936,
             32768, 1000000.0f, 1e-6f, true),
        make("llama-1b", "Llama 3.2 1B shape", "llama", 2048, 8192, 16, 32, 8, 128256, 131072,
             500000.0f, 1e-5f, true),
        make("llama-3b", "Llama 3.2 3B shape", "llama", 3072, 8192, 28, 24, 8, 128256, 131072,
             500000.0f, 1e-5f, true),
        make("qwen2-7b", "Qwen2/Qwen2.5 7B shape", "qwen2", 3584, 18944, 28, 28, 4, 152064, 32768,
             1000000.0f, 1e-6f, false),
        make("llama-7b", "Llama 2 7B shape", "llama", 4096, 11008, 32, 32, 32, 32000, 4096,
             10000.0f, 1e-5f, false),
        make("mistral-7b", "Mistral 7B v0.2 shape", "llama", 4096, 14336, 32, 32, 8, 32000, 32768,
             1000000.0f, 1e-5f, false),
        make("llama-8b", "Llama 3/3.1 8B shape", "llama", 4096, 14336, 32, 32, 8, 128256, 131072,
             500000.0f, 1e-5f, false),
        make("yi-9b", "Yi-1.5 9B shape", "llama", 4096, 11008, 48, 32, 4, 64000, 4096, 5000000.0f,
             1e-6f, false),
        make("llama-13b", "Llama 2 13B shape", "llama", 5120, 13824, 40, 40, 40, 32000, 4096,
             10000.0f, 1e-5f, false),
    };
  }();
  return presets;
}

const ModelPreset* FindModelPreset(const std::string& name) {
  for (const auto& p : ModelPresets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

int64_t ParameterCount(const ModelConfig& c, bool tied) {
  const int64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  int64_t per_layer = 2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * dim * hidden;
  if (c.architecture == "qwen2") per_layer += dim + 2 * kv;
  return vocab * dim * (tied ? 1 : 2) + dim + c.n_layers * per_layer;
}

}  // namespace llms::engine
