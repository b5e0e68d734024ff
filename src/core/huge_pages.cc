// AllocateHugePageMemory: aligned_alloc at 2 MiB plus madvise(MADV_HUGEPAGE).
#include "core/huge_pages.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>

namespace llms {

void HugePageFree::operator()(std::byte* p) const {
  std::free(p);
}

HugePageMemory AllocateHugePageMemory(size_t bytes) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t rounded = std::max<size_t>((bytes + kHugePage - 1) / kHugePage, 1) * kHugePage;
  auto* p = static_cast<std::byte*>(std::aligned_alloc(kHugePage, rounded));
  // Only advice: where transparent huge pages are off the memory stays on 4 KiB pages.
  if (p) ::madvise(p, rounded, MADV_HUGEPAGE);
  return HugePageMemory(p);
}

}  // namespace llms
