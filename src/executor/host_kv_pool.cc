// HostKvPool implementation.
#include "executor/host_kv_pool.h"

#include <algorithm>

namespace llms::executor {

HostKvPool::HostKvPool(size_t slab_bytes, size_t capacity)
    : slab_bytes_(slab_bytes), max_slabs_(static_cast<int>(capacity / slab_bytes)) {}

HostKvBlock HostKvPool::Allocate(size_t block_bytes) {
  const size_t slab_size = std::max(slab_bytes_, block_bytes);
  // The fullest slab of this shape with room first: partly used slabs empty out sooner and go
  // back to any shape, which keeps the pool within its capacity.
  int unbound = -1, fullest = -1;
  for (int s = 0; s < static_cast<int>(slabs_.size()); ++s) {
    const Slab& slab = slabs_[static_cast<size_t>(s)];
    if (slab.block_bytes == block_bytes && !slab.free_blocks.empty() &&
        (fullest < 0 || slab.used > slabs_[static_cast<size_t>(fullest)].used)) {
      fullest = s;
    }
    if (slab.block_bytes == 0 && slab.bytes >= block_bytes && unbound < 0) unbound = s;
  }
  if (fullest >= 0) {
    Slab& slab = slabs_[static_cast<size_t>(fullest)];
    const int index = slab.free_blocks.back();
    slab.free_blocks.pop_back();
    ++slab.used;
    in_use_ += block_bytes;
    return HostKvBlock{fullest, index};
  }
  if (unbound < 0) {
    const size_t capacity = static_cast<size_t>(max_slabs_) * slab_bytes_;
    if (allocated_ + slab_size > capacity) overflow_bytes_ += slab_size;
    allocated_ += slab_size;
    slabs_.push_back(Slab{std::make_unique<std::byte[]>(slab_size), slab_size, 0, {}, 0});
    unbound = static_cast<int>(slabs_.size()) - 1;
  }
  Slab& slab = slabs_[static_cast<size_t>(unbound)];
  slab.block_bytes = block_bytes;
  const int blocks = static_cast<int>(slab.bytes / block_bytes);
  slab.free_blocks.clear();
  for (int i = blocks - 1; i >= 1; --i) slab.free_blocks.push_back(i);
  slab.used = 1;
  in_use_ += block_bytes;
  return HostKvBlock{unbound, 0};
}

void HostKvPool::Free(HostKvBlock block) {
  Slab& slab = slabs_[static_cast<size_t>(block.slab)];
  slab.free_blocks.push_back(block.index);
  in_use_ -= slab.block_bytes;
  if (--slab.used == 0) {  // empty: any shape may take it now
    slab.block_bytes = 0;
    slab.free_blocks.clear();
  }
}

std::byte* HostKvPool::Data(HostKvBlock block) {
  Slab& slab = slabs_[static_cast<size_t>(block.slab)];
  return slab.memory.get() + static_cast<size_t>(block.index) * slab.block_bytes;
}

size_t HostKvPool::bytes_in_slabs() const {
  size_t n = 0;
  for (const Slab& s : slabs_) n += s.block_bytes ? s.bytes : 0;
  return n;
}

double HostKvPool::fragmentation() const {
  const size_t held = bytes_in_slabs();
  return held ? 1.0 - static_cast<double>(in_use_) / static_cast<double>(held) : 0.0;
}

}  // namespace llms::executor
