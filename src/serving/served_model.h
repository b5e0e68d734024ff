// ServedModel: what the scheduler knows about a model it serves: its name, the bytes of its
// weights and of one token's KV cache (both as the instance holds them), and a LatencyPredictor
// for planning (decode quotas, prefill placement, switch costs). In simulation the predictor is
// also what the executor charges; in real runs it is an estimate and the executor measures.
// KV space is counted in whole blocks of kKvBlockTokens tokens, as every executor allocates it:
// KvCapacityBlocks is exactly how many blocks of a model an instance holds beside its weights,
// the number the policies admit work against.
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

// Tokens per KV cache block (engine::KvCache::kBlockTokens; the CPU executor checks they agree).
inline constexpr int kKvBlockTokens = 16;

// Blocks that hold `tokens` tokens of one sequence.
inline int64_t KvBlocksFor(int64_t tokens) {
  return tokens <= 0 ? 0 : (tokens + kKvBlockTokens - 1) / kKvBlockTokens;
}

struct ServedModel {
  std::string name;
  double weight_bytes = 0;
  double kv_bytes_per_token = 0;
  std::shared_ptr<const LatencyPredictor> latency;
  double tpot_slo_s = 0;  // this model's TPOT SLO for the decode quotas; 0: the cluster's
  // Transformer layers: KV moves layer by layer, so an executor can overlap a layer's KV move
  // with another layer's compute (1: no overlap).
  int layers = 1;
  // Bytes an instance loses beside the weights and the KV blocks (the CPU arena's alignment).
  double instance_overhead_bytes = 0;

  double kv_block_bytes() const { return kv_bytes_per_token * kKvBlockTokens; }
};

// KV blocks of `m` an instance of `instance_memory` bytes holds beside its weights (0 when even
// the weights do not fit).
inline int64_t KvCapacityBlocks(const ServedModel& m, double instance_memory) {
  const double room = instance_memory - m.weight_bytes - m.instance_overhead_bytes;
  if (room <= 0 || m.kv_bytes_per_token <= 0) return 0;
  return static_cast<int64_t>(room / m.kv_block_bytes());
}

}  // namespace llms::serving
