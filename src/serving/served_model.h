// ServedModel: what the scheduler knows about a model it serves: its name, the bytes of its
// weights and of one token's KV cache (both as the instance holds them), and a LatencyPredictor
// for planning (decode quotas, prefill placement, switch costs). In simulation the predictor is
// also what the executor charges; in real runs it is an estimate and the executor measures.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace llms::serving {

class LatencyPredictor {
 public:
  virtual ~LatencyPredictor() = default;
  virtual double PrefillSeconds(std::span<const int> prompt_lengths) const = 0;
  virtual double DecodeSeconds(int64_t sum_context, int batch_size) const = 0;
  // Bringing the weights from the host model cache into an instance.
  virtual double LoadSeconds() const = 0;
  // Moving `bytes` of KV cache between an instance and the host KV pool (either direction).
  virtual double KvMoveSeconds(double bytes) const = 0;
};

struct ServedModel {
  std::string name;
  double weight_bytes = 0;
  double kv_bytes_per_token = 0;
  std::shared_ptr<const LatencyPredictor> latency;
  double tpot_slo_s = 0;  // this model's TPOT SLO for the decode quotas; 0: the cluster's
  // Transformer layers: KV moves layer by layer, so an executor can overlap a layer's KV move
  // with another layer's compute (1: no overlap).
  int layers = 1;
};

}  // namespace llms::serving
