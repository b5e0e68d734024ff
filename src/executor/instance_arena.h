// InstanceArena: one instance's "device memory" for Aegaeon's token-level auto-scaling: a region
// of fixed size allocated once, handed out by bump allocation (the active model's weights, then
// its KV cache) and reset as a whole when the instance switches models, so a switch never
// fragments memory or calls the system allocator. Reports capacity in use and the bytes lost to
// alignment. An arena it allocates itself sits on transparent huge pages (core/huge_pages.h).
// Not thread-safe: one owner (the instance's executor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/huge_pages.h"
#include "core/status.h"

namespace llms::executor {

class InstanceArena {
 public:
  // Owns `capacity` bytes (2 MiB aligned, huge pages advised), or uses caller memory when `base`
  // is given.
  explicit InstanceArena(size_t capacity, void* base = nullptr);

  // `bytes` aligned to `align` (a power of two); an error naming the shortfall when full.
  Result<void*> Allocate(size_t bytes, size_t align, const std::string& label);
  // Forgets every allocation (the memory is reused by the next model).
  void Reset();

  size_t capacity() const { return capacity_; }
  size_t used() const { return used_; }  // including alignment padding
  size_t free_bytes() const { return capacity_ - used_; }
  size_t padding() const { return padding_; }
  struct Allocation {
    std::string label;
    size_t offset, bytes;
  };
  const std::vector<Allocation>& allocations() const { return allocations_; }
  void* base() const { return base_; }

 private:
  HugePageMemory owned_;  // null when the caller's memory is used
  std::byte* base_;
  size_t capacity_;
  size_t used_ = 0, padding_ = 0;
  std::vector<Allocation> allocations_;
};

}  // namespace llms::executor
