// Memory for large, sequentially streamed data (model weights, an instance's arena): 2 MiB
// aligned and advised onto transparent huge pages, so a pass over gigabytes of weights does not
// walk the page tables every 4 KiB (on a virtual machine each such miss is a two-level walk).
// Decode of a 1B model measured about 1.7x as fast from such memory as from a 4 KiB-page file
// mapping (engine_bench Decode/1B-Q8_0-in-arena against Decode/1B-Q8_0). Without transparent huge
// pages (or with them disabled) the memory works the same on 4 KiB pages.
// HugePageShare says how much of a range's resident memory the kernel maps with huge pages, for
// memory allocated here and for file mappings alike (a file the page cache holds in 2 MiB folios
// maps with huge pages too; one it holds in small folios maps at 4 KiB).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

namespace llms {

struct HugePageFree {
  void operator()(std::byte* p) const;
};
using HugePageMemory = std::unique_ptr<std::byte, HugePageFree>;

// At least `bytes` bytes (rounded up to 2 MiB; one huge page for 0), or null when the system
// cannot provide them.
HugePageMemory AllocateHugePageMemory(size_t bytes);

// The fraction (0..1) of the resident memory of the mappings overlapping [addr, addr + bytes)
// that sits on huge pages (anonymous, file or shmem PMD mappings), from /proc/self/smaps; nullopt
// when that is unreadable or nothing there is resident.
std::optional<double> HugePageShare(const void* addr, size_t bytes);

}  // namespace llms
