// KvCache: the paged key/value cache. Memory is a pool of blocks of kBlockTokens positions; each
// sequence owns a block table (its blocks in position order), so sequences of different lengths
// share one pool and one decode step, and whole blocks can be moved to and from a host-side copy
// by block id (what Aegaeon's scheduler does when it switches models). Layout per block: for every
// layer, K then V, each [kBlockTokens][kv_dim] floats. Not thread-safe: one owner (the executor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/model.h"

namespace llms::engine {

struct BlockTable {
  std::vector<int> blocks;
  int length = 0;  // positions written
};

class KvCache {
 public:
  static constexpr int kBlockTokens = 16;
  // `storage` (optional) places the cache in caller-provided memory of at least
  // BytesFor(config, num_blocks) bytes, e.g. an instance's device arena; otherwise it owns it.
  KvCache(const ModelConfig& config, int num_blocks, float* storage = nullptr);

  static size_t BlockBytes(const ModelConfig& c) {
    return static_cast<size_t>(c.n_layers) * 2 * kBlockTokens * static_cast<size_t>(c.kv_dim()) *
           sizeof(float);
  }
  static size_t BytesFor(const ModelConfig& c, int num_blocks) {
    return BlockBytes(c) * static_cast<size_t>(num_blocks);
  }

  int num_blocks() const { return num_blocks_; }
  int free_blocks() const { return static_cast<int>(free_.size()); }
  // Grows `table` so it can hold `length` positions; false (and no change) when blocks run out.
  bool Reserve(BlockTable& table, int length);
  void Release(BlockTable& table);

  float* Key(int layer, const BlockTable& t, int pos) { return Slot(layer, 0, t, pos); }
  float* Value(int layer, const BlockTable& t, int pos) { return Slot(layer, 1, t, pos); }
  const float* Key(int layer, const BlockTable& t, int pos) const {
    return const_cast<KvCache*>(this)->Slot(layer, 0, t, pos);
  }
  const float* Value(int layer, const BlockTable& t, int pos) const {
    return const_cast<KvCache*>(this)->Slot(layer, 1, t, pos);
  }

  // The kBlockTokens keys (values) of one block for one layer: [kBlockTokens][kv_dim] floats.
  const float* KeyBlock(int layer, int block) const { return BlockBase(layer, 0, block); }
  const float* ValueBlock(int layer, int block) const { return BlockBase(layer, 1, block); }
  size_t kv_dim() const { return kv_dim_; }

  // Whole-block copies (BlockBytes each) to and from host memory.
  void CopyBlockOut(int block, float* host) const;
  void CopyBlockIn(int block, const float* host);

 private:
  const float* BlockBase(int layer, int kv, int block) const {
    return data_ + static_cast<size_t>(block) * block_floats_ +
           (static_cast<size_t>(layer) * 2 + static_cast<size_t>(kv)) * kBlockTokens * kv_dim_;
  }
  float* Slot(int layer, int kv, const BlockTable& t, int pos) {
    const int block = t.blocks[static_cast<size_t>(pos / kBlockTokens)];
    return data_ + static_cast<size_t>(block) * block_floats_ +
           (static_cast<size_t>(layer) * 2 + static_cast<size_t>(kv)) * kBlockTokens * kv_dim_ +
           static_cast<size_t>(pos % kBlockTokens) * kv_dim_;
  }
  int num_blocks_;
  size_t kv_dim_;
  size_t block_floats_;
  std::vector<float> owned_;
  float* data_;
  std::vector<int> free_;
};

}  // namespace llms::engine
