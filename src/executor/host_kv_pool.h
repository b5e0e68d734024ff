// HostKvPool: host memory for KV-cache blocks moved off an instance (a decode instance handing
// a model's sequences back, prefill handing KV to decode). Memory is cut into slabs of equal
// size; a slab holds blocks of one KV shape only (one block size: models of different shapes
// share the pool without mixing inside a slab) and returns to the free list when its last block
// is freed, so another shape can take it. Reports bytes in use, bytes held by slabs, and the
// fragmentation between them. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace llms::executor {

struct HostKvBlock {
  int slab = -1;
  int index = -1;
};

class HostKvPool {
 public:
  // `capacity` bytes in slabs of `slab_bytes` (allocated lazily).
  HostKvPool(size_t slab_bytes, size_t capacity);

  // A block of `block_bytes` (> 0): from a slab of that shape with room, else a free slab, else
  // a new slab (past the capacity when it must).
  HostKvBlock Allocate(size_t block_bytes);
  void Free(HostKvBlock block);
  std::byte* Data(HostKvBlock block);

  size_t bytes_in_use() const { return in_use_; }
  size_t bytes_in_slabs() const;  // slabs bound to a shape
  // 1 - in_use / in_slabs: memory held by partly used slabs that no block uses.
  double fragmentation() const;
  int slab_count() const { return static_cast<int>(slabs_.size()); }
  int max_slabs() const { return max_slabs_; }
  // Bytes of slabs allocated beyond the capacity (by fragmentation across shapes).
  size_t overflow_bytes() const { return overflow_bytes_; }

 private:
  struct Slab {
    std::unique_ptr<std::byte[]> memory;
    size_t bytes = 0;
    size_t block_bytes = 0;  // 0: unbound (free)
    std::vector<int> free_blocks;
    int used = 0;
  };
  size_t slab_bytes_;
  int max_slabs_;
  size_t in_use_ = 0;
  size_t allocated_ = 0, overflow_bytes_ = 0;
  std::vector<Slab> slabs_;
};

}  // namespace llms::executor
