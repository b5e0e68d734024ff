// AllocateHugePageMemory: aligned_alloc at 2 MiB plus madvise(MADV_HUGEPAGE); HugePageShare from
// /proc/self/smaps.
#include "core/huge_pages.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

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

std::optional<double> HugePageShare(const void* addr, size_t bytes) {
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) return std::nullopt;
  const uintptr_t lo = reinterpret_cast<uintptr_t>(addr), hi = lo + bytes;
  bool inside = false;
  double rss_kb = 0, huge_kb = 0;
  std::string line;
  while (std::getline(smaps, line)) {
    // A mapping's header is "start-end perms offset dev inode [path]"; field lines are
    // "Name:   value kB".
    const size_t dash = line.find('-'), colon = line.find(':');
    if (dash != std::string::npos && (colon == std::string::npos || dash < colon)) {
      uintptr_t start = 0, end = 0;
      std::istringstream header(line);
      char sep = 0;
      header >> std::hex >> start >> sep >> end;
      if (header && sep == '-') {
        inside = start < hi && lo < end;
        continue;
      }
    }
    if (!inside || colon == std::string::npos) continue;
    const std::string name = line.substr(0, colon);
    if (name != "Rss" && name != "AnonHugePages" && name != "FilePmdMapped" &&
        name != "ShmemPmdMapped") {
      continue;
    }
    double kb = 0;
    std::istringstream(line.substr(colon + 1)) >> kb;
    (name == "Rss" ? rss_kb : huge_kb) += kb;
  }
  if (rss_kb <= 0) return std::nullopt;
  return std::min(huge_kb / rss_kb, 1.0);
}

}  // namespace llms
