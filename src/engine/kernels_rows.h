// The row loop the SIMD kernels share (kernels_avx2.cc's float and quantized ones,
// kernels_avx2_groups.cc's, kernels_avx512.cc's float ones; kernels_avx512_groups.cc repeats it
// with wider tiles): chunks of weight rows small enough to stay in L2 swept once per
// tile of up to kTileRows activation rows, which stays in L1, with the tile width made a
// compile-time constant. Templates on each file's own lambdas only, so every instantiation is
// compiled with that file's instruction set.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "engine/kernels.h"

namespace llms::engine {

// f(std::integral_constant<int, k>) for k in 1..kTileRows.
template <typename F>
void WithTileWidth(int k, F&& f) {
  static_assert(kTileRows == 4);
  switch (k) {
    case 1:
      return f(std::integral_constant<int, 1>{});
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    default:
      return f(std::integral_constant<int, 4>{});
  }
}

// tile(w, r, k, out): weight row w against the k activation rows from row r (k <= kTileRows)
// into out[0..k); the tile finds its activations (float or quantized) from r.
template <typename W, int64_t kChunkRows, typename Tile>
void SweepRows(const MatArgs& a, Tile&& tile) {
  float t[kTileRows];
  for (int64_t o0 = 0; o0 < a.rows; o0 += kChunkRows) {
    const int64_t o1 = std::min(a.rows, o0 + kChunkRows);
    for (int64_t r = 0; r < a.nx; r += kTileRows) {
      const int k = static_cast<int>(std::min<int64_t>(kTileRows, a.nx - r));
      for (int64_t o = o0; o < o1; ++o) {
        const W* w = reinterpret_cast<const W*>(a.w + static_cast<size_t>(o) * a.w_stride);
        tile(w, r, k, t);
        for (int j = 0; j < k; ++j) a.out[(r + j) * a.out_stride + o] = t[j];
      }
    }
  }
}

// `void NameRows(const MatArgs&)` over the file's `NameTile<NX>(w, x, x_stride, n, out)` and its
// kChunkRows.
#define LLMS_DEFINE_FLOAT_ROWS(Name, W)                                                        \
  void Name##Rows(const MatArgs& a) {                                                          \
    SweepRows<W, kChunkRows>(a, [&a](const W* w, int64_t r, int k, float* t) {                 \
      WithTileWidth(                                                                           \
          k, [&](auto nx) { Name##Tile<nx()>(w, a.x + r * a.x_stride, a.x_stride, a.n, t); }); \
    });                                                                                        \
  }

}  // namespace llms::engine
