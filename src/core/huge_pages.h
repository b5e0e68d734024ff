// Memory for large, sequentially streamed data (model weights, an instance's arena): 2 MiB
// aligned and advised onto transparent huge pages, so a pass over gigabytes of weights does not
// walk the page tables every 4 KiB (on a virtual machine each such miss is a two-level walk).
// Decode of a 1B model measured about 1.7x as fast from such memory as from a 4 KiB-page file
// mapping (engine_bench Decode/1B-Q8_0-in-arena against Decode/1B-Q8_0). Without transparent huge
// pages (or with them disabled) the memory works the same on 4 KiB pages.
#pragma once

#include <cstddef>
#include <memory>

namespace llms {

struct HugePageFree {
  void operator()(std::byte* p) const;
};
using HugePageMemory = std::unique_ptr<std::byte, HugePageFree>;

// At least `bytes` bytes (rounded up to 2 MiB; one huge page for 0), or null when the system
// cannot provide them.
HugePageMemory AllocateHugePageMemory(size_t bytes);

}  // namespace llms
