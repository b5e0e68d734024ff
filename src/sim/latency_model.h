// Latency models the simulator advances its virtual clock by, as Aegaeon's scheduler uses them:
// - fitted per (model, GPU) by least squares from measured profiles (serving/latency_fit.h, the
//   same fits a server plans with);
// - a roofline model for models without profiles, from the model's shape and the GPU's FLOP/s and
//   memory bandwidth (time = max(compute, memory traffic));
// - the switch cost of loading a model: bytes / (0.15 * host-to-device bandwidth), the estimate
//   the Aegaeon artifact uses.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/model_config.h"
#include "serving/latency_fit.h"
#include "sim/latency_profile.h"

namespace llms::sim {

using serving::DecodeLatency;
using serving::FitError;
using serving::FitLatencyModels;
using serving::FitOptions;
using serving::FittedLatency;
using serving::LeastSquares3;
using serving::PrefillLatency;

struct GpuSpec {
  std::string name;
  double fp16_flops;        // dense tensor-core FLOP/s
  double memory_bandwidth;  // bytes/s
  double host_to_device;    // bytes/s
  double memory_bytes;
};
// A10, A100, H100, H20, H800 (datasheet figures; H2D as the Aegaeon artifact assumes).
const std::vector<GpuSpec>& KnownGpus();
const GpuSpec* FindGpu(const std::string& name);

// Roofline estimates for a model of `config` whose weights take `weight_bytes` and whose KV cache
// holds `kv_bytes_per_token` per token (fp16 serving: 2 bytes per value).
struct RooflineLatency {
  double params = 0;  // multiply-add weights per token
  double weight_bytes = 0, kv_bytes_per_token = 0;
  double attention_flops_per_pair = 0;  // per (query token, key token) pair, all layers
  GpuSpec gpu;
  static RooflineLatency For(const engine::ModelConfig& config, double bytes_per_weight,
                             const GpuSpec& gpu);
  double PrefillSeconds(std::span<const int> prompt_lengths) const;
  double DecodeSeconds(int64_t sum_context, int batch_size) const;
};

// Seconds to bring `model_bytes` of weights onto `gpu` at `efficiency` times its host-to-device
// bandwidth (the artifact's estimate uses 0.15).
double SwitchSeconds(double model_bytes, const GpuSpec& gpu, double efficiency = 0.15);

}  // namespace llms::sim
