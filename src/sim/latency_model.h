// Latency models the simulator advances its virtual clock by, as Aegaeon's scheduler uses them:
// - fitted per (model, GPU) by least squares from measured profiles (latency_profile.h):
//   prefill of a batch with prompt lengths l_i:  a + b * sum(l) + c * sum(l^2)
//   one decode step over a batch:                a + b * sum(context lengths) + c * batch_size
//   with each fit's error reported (R^2, RMSE, mean and max relative error);
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
#include "sim/latency_profile.h"

namespace llms::sim {

struct PrefillLatency {
  double a = 0, b = 0, c = 0;
  double Seconds(std::span<const int> prompt_lengths) const;
};

struct DecodeLatency {
  double a = 0, b = 0, c = 0;
  double Seconds(int64_t sum_context, int batch_size) const;
};

struct FitError {
  int points = 0;
  double r2 = 0, rmse_s = 0;
  double mean_rel = 0, max_rel = 0;  // |predicted - measured| / measured
};

struct FittedLatency {
  std::string model, gpu;
  PrefillLatency prefill;
  DecodeLatency decode;
  FitError prefill_error, decode_error;
};

// Which measurements a fit may use. The artifact's profiler ran vLLM with a per-step budget of
// 4096 batched tokens: a "prefill" of more prompt tokens measured only its first 4096-token
// chunk (the latency plateaus there), and its decode steps at a 4096-token context did not run
// (about 0.4 ms, far below any real step). Such rows are left out of the fits.
struct FitOptions {
  int64_t max_prefill_tokens = 4096;  // batch_size * input_len
  int max_decode_context = 4095;      // input_len
};

// One fit per (model, gpu) present in the rows, in (model, gpu) order.
std::vector<FittedLatency> FitLatencyModels(const std::vector<ProfileRow>& rows,
                                            const FitOptions& options = {});

// Least squares for y ~ X beta with three columns (exposed for tests); nullopt when singular.
std::optional<std::array<double, 3>> LeastSquares3(const std::vector<std::array<double, 3>>& x,
                                                   const std::vector<double>& y);

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
