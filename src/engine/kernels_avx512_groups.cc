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

#include <algorithm>
#include <type_traits>

#include "engine/kernels.h"
#include "engine/kernels_group_formats.h"
#include "engine/kquants.h"
#include "engine/simd_sum.h"

namespace llms::engine {

namespace {

using namespace group_formats;  // NOLINT(google-build-using-namespace): this file's formats

// Each super-block's line requested 8 KiB ahead into L2 (2 KiB into L1 measured the same share
// of the read bandwidth and 2-5% less decode throughput, engine_bench's share benchmark
// alternated).
constexpr int kPrefetchBytes = 8192;

inline __m512i Pair(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// 16-bit lanes shifted right by `lo` in the low 256 bits and by `hi` in the high ones.
inline __m512i ShiftHalves(__m512i v, int lo, int hi) {
  const __m512i counts = _mm512_inserti64x4(_mm512_set1_epi16(static_cast<int16_t>(lo)),
                                            _mm256_set1_epi16(static_cast<int16_t>(hi)), 1);
  return _mm512_srlv_epi16(v, counts);
}
inline __m512i Broadcast32(const uint8_t* p) {
  return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// Groups 2p and 2p + 1's values as 64 bytes. Q4_K, Q5_K and Q6_K keep both groups' bits in the
// same 32 or 64 bytes: one (broadcast) load, a per-half shift and a mask; the other formats join
// their two AVX2 groups.
template <typename F>
__m512i ValuePairs(const F& f, int p) {
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  if constexpr (std::is_same_v<F, Q4_KFmt> || std::is_same_v<F, Q5_KFmt>) {
    // Byte l of qs[32p..]: group 2p's value l in the low nibble, group 2p + 1's in the high one.
    __m512i v = _mm512_and_si512(ShiftHalves(Broadcast32(f.b.qs + 32 * p), 0, 4), low4);
    if constexpr (std::is_same_v<F, Q5_KFmt>) {  // fifth bits: bit k of qh[l] for group k
      const __m512i bits =
          _mm512_and_si512(ShiftHalves(Broadcast32(f.b.qh), 2 * p, 2 * p + 1), _mm512_set1_epi8(1));
      v = _mm512_or_si512(v, _mm512_slli_epi16(bits, 4));
    }
    return v;
  } else if constexpr (std::is_same_v<F, Q6_KFmt>) {
    // Groups 4c + t: low nibbles (t < 2) or high ones of ql[64c + 32 (t % 2)..], high 2 bits
    // (bits 2t, 2t + 1) of qh[32c..]; a pair is t = 2 (p % 2) and the next, both from one 64-byte
    // line of ql.
    const int c = p / 2, t = 2 * (p % 2);
    const __m512i ql = _mm512_loadu_si512(f.b.ql + 64 * c);
    const __m512i low = _mm512_and_si512(t == 0 ? ql : _mm512_srli_epi16(ql, 4), low4);
    const __m512i high = _mm512_and_si512(
        ShiftHalves(Broadcast32(f.b.qh + 32 * c), 2 * t, 2 * t + 2), _mm512_set1_epi8(3));
    return _mm512_or_si512(low, _mm512_slli_epi16(high, 4));
  } else {
    return Pair(f.Values(2 * p), f.Values(2 * p + 1));
  }
}

// Groups 2p and 2p + 1's scales as 32 int16 lanes (16 each). Q4_K and Q5_K have one scale per
// group, all 8 in the low lanes of `scales`: one word permute picks the pair.
template <typename F>
__m512i ScalePairs(const F& f, int p) {
  if constexpr (std::is_base_of_v<ScalesMins<typename F::Block>, F>) {
    const __m512i idx = _mm512_inserti64x4(_mm512_set1_epi16(static_cast<int16_t>(2 * p)),
                                           _mm256_set1_epi16(static_cast<int16_t>(2 * p + 1)), 1);
    return _mm512_permutexvar_epi16(idx, _mm512_castsi256_si512(f.scales));
  } else {
    return Pair(f.Scales(2 * p), f.Scales(2 * p + 1));
  }
}

// Q3_K and Q6_K's "minimums" are offsets at the values' own scale (dmin == d): their term joins
// the integer sum before the one float multiply-add.
template <typename F>
constexpr bool kOffsetOnly = std::is_same_v<F, Q3_KFmt> || std::is_same_v<F, Q6_KFmt>;

template <int NX, typename F>
void KTile(const typename F::Block* w, const int8_t* x, const float* xd, const int16_t* bsums,
           int64_t xs, int64_t n, float* out) {
  __m512 acc[NX];
  __m256 macc[NX];  // true minimums (Q2_K, Q4_K, Q5_K), 8 lanes
  for (int j = 0; j < NX; ++j) {
    acc[j] = _mm512_setzero_ps();
    macc[j] = _mm256_setzero_ps();
  }
  for (int64_t sb = 0; sb < n / kQK; ++sb) {
    _mm_prefetch(reinterpret_cast<const char*>(w + sb) + kPrefetchBytes, _MM_HINT_T1);
    const F f{w[sb]};
    // The super-block unpacked once (4 pairs of groups and their scales, 8 registers), then each
    // activation row's chain of 4 products.
    __m512i q[kQK / 64], scales[kQK / 64];
    for (int p = 0; p < kQK / 64; ++p) {
      q[p] = ValuePairs(f, p);
      scales[p] = ScalePairs(f, p);
    }
    const __m256i mins = f.Mins();
    for (int j = 0; j < NX; ++j) {
      const int8_t* xj = x + (j * xs + sb) * kQK;
      __m512i isum = _mm512_setzero_si512();
      for (int p = 0; p < kQK / 64; ++p) {
        isum = _mm512_dpwssd_epi32(
            isum, _mm512_maddubs_epi16(q[p], _mm512_loadu_si512(xj + p * 64)), scales[p]);
      }
      const float dx = xd[j * xs + sb];
      const __m256i s =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums + (j * xs + sb) * (kQK / 16)));
      const __m256i m = _mm256_madd_epi16(mins, s);
      if constexpr (kOffsetOnly<F>) {
        isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(m));
      } else {
        macc[j] = _mm256_fmadd_ps(_mm256_set1_ps(f.dmin * dx), _mm256_cvtepi32_ps(m), macc[j]);
      }
      acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(f.d * dx), _mm512_cvtepi32_ps(isum), acc[j]);
    }
  }
  for (int j = 0; j < NX; ++j) {
    out[j] = _mm512_reduce_add_ps(acc[j]);
    if constexpr (!kOffsetOnly<F>) out[j] -= HSum(macc[j]);
  }
}

constexpr int64_t kChunkRows = 64;
// Activation rows per tile: up to 8 (twice kTileRows), so a weight super-block's unpacking is
// shared by 8, while the tile's activations (8 x n bytes) stay within L1: rows of more than 4096
// values take 4 at a time. The tile's width does not change any row's arithmetic.
constexpr int kWideTile = 8;

template <typename F, int NX>
void TileOf(const MatArgs& a, const typename F::Block* w, int64_t r, float* t) {
  KTile<NX, F>(w, a.xq + r * a.x_stride * kQK, a.xd + r * a.x_stride,
               a.xsum + r * a.x_stride * (kQK / 16), a.x_stride, a.n, t);
}

// Every weight row against all activation rows: chunks of weight rows (L2-sized) swept once per
// tile of activation rows (kernels_rows.h's SweepRows, with wider tiles).
template <typename F>
void KRows(const MatArgs& a) {
  using Tile = void (*)(const MatArgs&, const typename F::Block*, int64_t, float*);
  static constexpr Tile kTiles[kWideTile] = {TileOf<F, 1>, TileOf<F, 2>, TileOf<F, 3>,
                                             TileOf<F, 4>, TileOf<F, 5>, TileOf<F, 6>,
                                             TileOf<F, 7>, TileOf<F, 8>};
  float t[kWideTile];
  const int64_t width = a.n <= 4096 ? kWideTile : kWideTile / 2;
  for (int64_t o0 = 0; o0 < a.rows; o0 += kChunkRows) {
    const int64_t o1 = std::min(a.rows, o0 + kChunkRows);
    for (int64_t r = 0; r < a.nx; r += width) {
      const int k = static_cast<int>(std::min<int64_t>(width, a.nx - r));
      for (int64_t o = o0; o < o1; ++o) {
        const auto* w =
            reinterpret_cast<const typename F::Block*>(a.w + static_cast<size_t>(o) * a.w_stride);
        kTiles[k - 1](a, w, r, t);
        for (int j = 0; j < k; ++j) a.out[(r + j) * a.out_stride + o] = t[j];
      }
    }
  }
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
