// KvCache implementation: a free list of block ids over one flat array.
#include "engine/kv_cache.h"

#include <algorithm>
#include <cstring>

namespace llms::engine {

KvCache::KvCache(const ModelConfig& config, int num_blocks, float* storage)
    : num_blocks_(num_blocks),
      kv_dim_(static_cast<size_t>(config.kv_dim())),
      block_floats_(BlockBytes(config) / sizeof(float)) {
  if (storage) {
    data_ = storage;
  } else {
    owned_.assign(block_floats_ * static_cast<size_t>(num_blocks), 0.0f);
    data_ = owned_.data();
  }
  free_.reserve(static_cast<size_t>(num_blocks));
  for (int b = num_blocks - 1; b >= 0; --b) free_.push_back(b);  // hand out low ids first
}

bool KvCache::Reserve(BlockTable& table, int length) {
  const size_t need = static_cast<size_t>((length + kBlockTokens - 1) / kBlockTokens);
  if (need <= table.blocks.size()) return true;
  if (need - table.blocks.size() > free_.size()) return false;
  while (table.blocks.size() < need) {
    table.blocks.push_back(free_.back());
    free_.pop_back();
  }
  return true;
}

void KvCache::Release(BlockTable& table) {
  for (int b : table.blocks) free_.push_back(b);
  table.blocks.clear();
  table.length = 0;
}

void KvCache::CopyBlockOut(int block, float* host) const {
  std::memcpy(host, data_ + static_cast<size_t>(block) * block_floats_,
              block_floats_ * sizeof(float));
}

void KvCache::CopyBlockIn(int block, const float* host) {
  std::memcpy(data_ + static_cast<size_t>(block) * block_floats_, host,
              block_floats_ * sizeof(float));
}

}  // namespace llms::engine
