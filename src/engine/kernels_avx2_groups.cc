// AVX2 kernels for the weight types read in 32-value groups: Q4_1, Q5_0, Q5_1 against Q8_0
// activations and the K-quants Q2_K..Q6_K against Q8_K ones (this file alone is compiled with
// -mavx2 -mfma -mf16c; kernels.cc calls it only after checking the CPU). A weight block's scales
// are decoded once and shared by a tile of up to kTileRows activation rows; per group of 32 the
// values become 32 int8 (unpacked with shifts, masks and compares) and multiply the activations
// with maddubs (the sign trick where they are signed); the per-16 integer scales apply in the
// pairwise widening madd. The 32-value types take one float multiply-add per block (minimum x
// activation sum subtracted in floats); a K-quant super-block sums its groups in int32 and takes
// one per 256 values.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "engine/kernels.h"
#include "engine/kernels_group_formats.h"
#include "engine/kernels_rows.h"
#include "engine/kquants.h"
#include "engine/simd_sum.h"

namespace llms::engine {

namespace {

using namespace group_formats;  // NOLINT(google-build-using-namespace): this file's formats

constexpr int kPrefetchBytes = 2048;

template <int NX, typename F>
void GroupTile(const typename F::Block* w, const int8_t* x, const float* xd, const int16_t* xsum,
               int64_t xs, int64_t n, float* out) {
  __m256 acc[NX];
  float mins[NX];
  for (int j = 0; j < NX; ++j) {
    acc[j] = _mm256_setzero_ps();
    mins[j] = 0.0f;
  }
  const int64_t blocks = n / (kQBlock * F::kGroups);
  for (int64_t sb = 0; sb < blocks; ++sb) {
    _mm_prefetch(reinterpret_cast<const char*>(w + sb) + kPrefetchBytes, _MM_HINT_T0);
    const F f{w[sb]};
    for (int k = 0; k < F::kGroups; ++k) {
      const int64_t b = sb * F::kGroups + k;
      const __m256i q = f.Values(k);
      const __m256i abs_q = F::kSigned ? _mm256_sign_epi8(q, q) : q;
      const __m256i scales = f.Scales(k);
      for (int j = 0; j < NX; ++j) {
        const __m256i qx =
            _mm256_load_si256(reinterpret_cast<const __m256i*>(x + (j * xs + b) * kQBlock));
        const __m256i pairs =
            _mm256_maddubs_epi16(abs_q, F::kSigned ? _mm256_sign_epi8(qx, q) : qx);
        const __m256 sum = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, scales));
        const float dx = xd[j * xs + b];
        acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(f.d * dx), sum, acc[j]);
        if constexpr (F::kMins) {
          const int16_t* s = xsum + (j * xs + b) * 2;
          mins[j] += dx * (f.Min(k, 0) * static_cast<float>(s[0]) +
                           f.Min(k, 1) * static_cast<float>(s[1]));
        }
      }
    }
  }
  for (int j = 0; j < NX; ++j) out[j] = HSum(acc[j]) - mins[j];
}

// A K-quant super-block against Q8_K activations: the 8 groups' products scaled per 16 in
// integers and summed in int32 lanes, one float multiply-add with d_w * d_x per super-block, and
// one subtracting dmin * d_x * (minimum x activation sum per 16).
template <int NX, typename F>
void KTile(const typename F::Block* w, const int8_t* x, const float* xd, const int16_t* bsums,
           int64_t xs, int64_t n, float* out) {
  __m256 acc[NX];
  for (int j = 0; j < NX; ++j) acc[j] = _mm256_setzero_ps();
  for (int64_t sb = 0; sb < n / kQK; ++sb) {
    _mm_prefetch(reinterpret_cast<const char*>(w + sb) + kPrefetchBytes, _MM_HINT_T0);
    const F f{w[sb]};
    __m256i isum[NX];
    for (int j = 0; j < NX; ++j) isum[j] = _mm256_setzero_si256();
    for (int k = 0; k < kQK / kQBlock; ++k) {
      const __m256i q = f.Values(k);
      const __m256i scales = f.Scales(k);
      for (int j = 0; j < NX; ++j) {
        const __m256i qx = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(x + (j * xs + sb) * kQK + k * kQBlock));
        isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(_mm256_maddubs_epi16(q, qx), scales));
      }
    }
    const __m256i mins = f.Mins();
    for (int j = 0; j < NX; ++j) {
      const float dx = xd[j * xs + sb];
      const __m256i s =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums + (j * xs + sb) * (kQK / 16)));
      acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(f.d * dx), _mm256_cvtepi32_ps(isum[j]), acc[j]);
      acc[j] = _mm256_fnmadd_ps(_mm256_set1_ps(f.dmin * dx),
                                _mm256_cvtepi32_ps(_mm256_madd_epi16(mins, s)), acc[j]);
    }
  }
  for (int j = 0; j < NX; ++j) out[j] = HSum(acc[j]);
}

constexpr int64_t kChunkRows = 64;

template <typename F>
void GroupRows(const MatArgs& a) {
  SweepRows<typename F::Block, kChunkRows>(
      a, [&a](const typename F::Block* w, int64_t r, int k, float* t) {
        WithTileWidth(k, [&](auto nx) {
          GroupTile<nx(), F>(w, a.xq + r * a.x_stride * kQBlock, a.xd + r * a.x_stride,
                             F::kMins ? a.xsum + r * a.x_stride * 2 : nullptr, a.x_stride, a.n, t);
        });
      });
}

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

void SetAvx2GroupKernels(DotKernels& k) {
  k.q4_1 = GroupRows<Q4_1Fmt>;
  k.q5_0 = GroupRows<Q5_0Fmt>;
  k.q5_1 = GroupRows<Q5_1Fmt>;
  k.q2_k = KRows<Q2_KFmt>;
  k.q3_k = KRows<Q3_KFmt>;
  k.q4_k = KRows<Q4_KFmt>;
  k.q5_k = KRows<Q5_KFmt>;
  k.q6_k = KRows<Q6_KFmt>;
}

}  // namespace llms::engine
