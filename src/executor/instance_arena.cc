// InstanceArena implementation.
#include "executor/instance_arena.h"

#include <fmt/format.h>

namespace llms::executor {

InstanceArena::InstanceArena(size_t capacity, void* base)
    : base_(static_cast<std::byte*>(base)), capacity_(capacity) {
  if (!base_) {
    owned_ = AllocateHugePageMemory(capacity);
    base_ = owned_.get();
    if (!base_) capacity_ = 0;  // out of memory: every allocation reports the arena as full
  }
}

Result<void*> InstanceArena::Allocate(size_t bytes, size_t align, const std::string& label) {
  if (align == 0 || (align & (align - 1)) != 0) {
    return Result<void*>::Error(fmt::format("alignment {} is not a power of two", align));
  }
  const uintptr_t at = reinterpret_cast<uintptr_t>(base_) + used_;
  const size_t pad = (align - at % align) % align;
  if (pad + bytes > capacity_ - used_) {
    return Result<void*>::Error(
        fmt::format("the instance arena cannot hold {} ({} bytes): {} of {} bytes are in use",
                    label, bytes, used_, capacity_));
  }
  used_ += pad;
  padding_ += pad;
  void* p = base_ + used_;
  allocations_.push_back({label, used_, bytes});
  used_ += bytes;
  return p;
}

void InstanceArena::Reset() {
  used_ = 0;
  padding_ = 0;
  allocations_.clear();
}

}  // namespace llms::executor
