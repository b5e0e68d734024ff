// Rng out-of-line members.
#include "core/rng.h"

namespace llms {

__extension__ typedef unsigned __int128 U128;

uint64_t Rng::NextBelow(uint64_t n) {
  if (n <= 1) return 0;
  U128 m = static_cast<U128>(NextU64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<U128>(NextU64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

}  // namespace llms
