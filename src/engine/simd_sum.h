// Horizontal sums of SIMD registers (included only by the files compiled with AVX2 flags:
// kernels_avx2.cc, kernels_avx2_groups.cc, kernels_avx512_groups.cc).
#pragma once

#include <immintrin.h>

namespace llms::engine {

// v[0] + ... + v[7]: the halves added (l_i = v_i + v_{i+4}), then (l0 + l1) + (l2 + l3).
inline float HSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  const __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 sh = _mm_movehdup_ps(lo);
  __m128 s = _mm_add_ps(lo, sh);
  sh = _mm_movehl_ps(sh, s);
  s = _mm_add_ss(s, sh);
  return _mm_cvtss_f32(s);
}

}  // namespace llms::engine
