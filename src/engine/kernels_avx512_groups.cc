// AVX-512 kernels for the K-quants (this file alone is compiled with the AVX-512 flags; kernels.cc
// calls it only after checking the CPU): the AVX2 formats' groups (kernels_group_formats.h) taken
// two at a time into 512-bit registers, so each maddubs multiplies 64 values, and VNNI's vpdpwssd
// applies the per-16 scales and adds into the int32 lanes in one instruction. Per super-block and
// activation row: 4 maddubs, 4 vpdpwssd, one float multiply-add with d_w * d_x and one for the
// minimums; the unpacking is shared by a tile of up to kTileRows activation rows.
//
// GCC 12's AVX-512 headers initialise their "undefined" registers from themselves, which
// -Wuninitialized reports at every use (a known false positive of those headers).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "engine/kernels.h"
#include "engine/kernels_group_formats.h"
#include "engine/kernels_rows.h"
#include "engine/kquants.h"

namespace llms::engine {

namespace {

using namespace group_formats;  // NOLINT(google-build-using-namespace): this file's formats

constexpr int kPrefetchBytes = 2048;

inline __m512i Pair(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

template <int NX, typename F>
void KTile(const typename F::Block* w, const int8_t* x, const float* xd, const int16_t* bsums,
           int64_t xs, int64_t n, float* out) {
  __m512 acc[NX];
  for (int j = 0; j < NX; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < n / kQK; ++sb) {
    _mm_prefetch(reinterpret_cast<const char*>(w + sb) + kPrefetchBytes, _MM_HINT_T0);
    const F f{w[sb]};
    __m512i isum[NX];
    for (int j = 0; j < NX; ++j) isum[j] = _mm512_setzero_si512();
    for (int p = 0; p < kQK / 64; ++p) {
      const __m512i q = Pair(f.Values(2 * p), f.Values(2 * p + 1));
      const __m512i scales = Pair(f.Scales(2 * p), f.Scales(2 * p + 1));
      for (int j = 0; j < NX; ++j) {
        const __m512i qx = _mm512_loadu_si512(x + (j * xs + sb) * kQK + p * 64);
        isum[j] = _mm512_dpwssd_epi32(isum[j], _mm512_maddubs_epi16(q, qx), scales);
      }
    }
    const __m256i mins = f.Mins();
    for (int j = 0; j < NX; ++j) {
      const float dx = xd[j * xs + sb];
      const __m256i s =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums + (j * xs + sb) * (kQK / 16)));
      acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(f.d * dx), _mm512_cvtepi32_ps(isum[j]), acc[j]);
      const __m512i m = _mm512_zextsi256_si512(_mm256_madd_epi16(mins, s));
      acc[j] = _mm512_fnmadd_ps(_mm512_set1_ps(f.dmin * dx), _mm512_cvtepi32_ps(m), acc[j]);
    }
  }
  for (int j = 0; j < NX; ++j) out[j] = _mm512_reduce_add_ps(acc[j]);
}

// (Tiles of 8 activation rows measured slower here than kTileRows' 4: the 8-row tile spills
// registers, and llama-1b prefill of 514 tokens fell from 0.97x to 0.86x llama.cpp's.)
constexpr int64_t kChunkRows = 64;

template <typename F>
void KRows(const MatArgs& a) {
  SweepRows<typename F::Block, kChunkRows>(
      a, [&a](const typename F::Block* w, int64_t r, int k, float* t) {
        WithTileWidth(k, [&](auto nx) {
          KTile<nx(), F>(w, a.xq + r * a.x_stride * kQK, a.xd + r * a.x_stride,
                         a.xsum + r * a.x_stride * (kQK / 16), a.x_stride, a.n, t);
        });
      });
}

}  // namespace

void SetAvx512GroupKernels(DotKernels& k) {
  k.q2_k = KRows<Q2_KFmt>;
  k.q3_k = KRows<Q3_KFmt>;
  k.q4_k = KRows<Q4_KFmt>;
  k.q5_k = KRows<Q5_KFmt>;
  k.q6_k = KRows<Q6_KFmt>;
}

}  // namespace llms::engine
