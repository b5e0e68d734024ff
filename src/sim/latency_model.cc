// Least-squares fits, roofline estimates and switch costs.
#include "sim/latency_model.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace llms::sim {

const std::vector<GpuSpec>& KnownGpus() {
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  // Dense FP16 tensor throughput and HBM bandwidth from NVIDIA's datasheets (A10 PCIe, A100 SXM 80
  // GB, H100 SXM, H20, H800 SXM); host-to-device bandwidth as the Aegaeon artifact assumes.
  static const std::vector<GpuSpec> gpus{
      {"A10", 125e12, 600e9, 32 * kGiB, 24 * kGiB},
      {"A100", 312e12, 2039e9, 32 * kGiB, 80 * kGiB},
      {"H100", 989e12, 3350e9, 32 * kGiB, 80 * kGiB},
      {"H20", 148e12, 4000e9, 32 * kGiB, 96 * kGiB},
      {"H800", 989e12, 3350e9, 64 * kGiB, 80 * kGiB},
  };
  return gpus;
}

const GpuSpec* FindGpu(const std::string& name) {
  for (const auto& g : KnownGpus()) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

RooflineLatency RooflineLatency::For(const engine::ModelConfig& c, double bytes_per_weight,
                                     const GpuSpec& gpu) {
  RooflineLatency r;
  const double dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), layers = c.n_layers;
  const double per_layer = 2 * dim * dim + 2 * kv * dim + 3 * dim * hidden;
  r.params = layers * per_layer + static_cast<double>(c.vocab_size) * dim;  // + the classifier
  r.weight_bytes = (r.params + static_cast<double>(c.vocab_size) * dim) * bytes_per_weight;
  r.kv_bytes_per_token = 2 * layers * kv * 2;     // K and V, fp16
  r.attention_flops_per_pair = 4 * layers * dim;  // q.k and a.v per head dimension
  r.gpu = gpu;
  return r;
}

double RooflineLatency::PrefillSeconds(std::span<const int> lengths) const {
  double tokens = 0, pairs = 0;
  for (int l : lengths) {
    tokens += l;
    pairs += static_cast<double>(l) * (l + 1) / 2;  // causal attention
  }
  const double flops = 2 * params * tokens + attention_flops_per_pair * pairs;
  const double bytes = weight_bytes + kv_bytes_per_token * tokens;
  return std::max(flops / gpu.fp16_flops, bytes / gpu.memory_bandwidth);
}

double RooflineLatency::DecodeSeconds(int64_t sum_context, int batch_size) const {
  const double flops =
      2 * params * batch_size + attention_flops_per_pair * static_cast<double>(sum_context);
  const double bytes = weight_bytes + kv_bytes_per_token * static_cast<double>(sum_context);
  return std::max(flops / gpu.fp16_flops, bytes / gpu.memory_bandwidth);
}

double SwitchSeconds(double model_bytes, const GpuSpec& gpu, double efficiency) {
  return model_bytes / (efficiency * gpu.host_to_device);
}

}  // namespace llms::sim
