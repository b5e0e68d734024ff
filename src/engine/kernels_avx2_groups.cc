// AVX2 kernels for the weight types read in 32-value groups with per-16 scales and minimums:
// Q4_1, Q5_0, Q5_1 and the K-quants Q2_K..Q6_K (this file alone is compiled with -mavx2 -mfma
// -mf16c; kernels.cc calls it only after checking the CPU). A weight block's scales are decoded
// once and shared by a tile of up to kTileRows activation rows; per group of 32 the values become
// 32 int8 (unpacked with shifts, masks and compares), multiply the Q8_0 activations with maddubs
// (the sign trick where they are signed), and the per-16 integer scales apply in the pairwise
// widening madd; one float multiply-add per group with d_w * d_x, and for types with minimums
// min x (activation sum) subtracted in floats.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "engine/kernels.h"
#include "engine/kernels_rows.h"
#include "engine/kquants.h"

namespace llms::engine {

namespace {

inline float HSum(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

inline __m256i Load32(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
// 16 packed bytes -> 32 values: the low nibbles, then the high ones.
inline __m256i Nibbles(const uint8_t* p) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m256i both =
      _mm256_insertf128_si256(_mm256_castsi128_si256(packed), _mm_srli_epi16(packed, 4), 1);
  return _mm256_and_si256(both, _mm256_set1_epi8(0xf));
}
// Byte i = 0x10 where bit i of `bits` is set.
inline __m256i FifthBits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  const __m256i shuffle = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                             0x0202020202020202, 0x0303030303030303);
  __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), shuffle);
  v = _mm256_or_si256(v, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
  return _mm256_and_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi64x(-1)), _mm256_set1_epi8(0x10));
}
// 16-bit lanes: the first half's scale in the low 128 bits (values 0-15), the second's above.
inline __m256i ScalePair(int s0, int s1) {
  return _mm256_setr_m128i(_mm_set1_epi16(static_cast<int16_t>(s0)),
                           _mm_set1_epi16(static_cast<int16_t>(s1)));
}

// Each format: Block, kGroups (32-value groups per block), kSigned, kMins, and a decoder made
// from one block with d (float), Values(k), Scales(k) and Min(k, half).
struct Q4_1Fmt {
  using Block = BlockQ4_1;
  static constexpr int kGroups = 1;
  static constexpr bool kSigned = false, kMins = true;
  const Block& b;
  float d = _cvtsh_ss(b.d), m = -_cvtsh_ss(b.m);
  __m256i Values(int) const { return Nibbles(b.qs); }
  __m256i Scales(int) const { return _mm256_set1_epi16(1); }
  float Min(int, int) const { return m; }
};
struct Q5_0Fmt {
  using Block = BlockQ5_0;
  static constexpr int kGroups = 1;
  static constexpr bool kSigned = true, kMins = false;
  const Block& b;
  float d = _cvtsh_ss(b.d);
  __m256i Values(int) const {
    return _mm256_sub_epi8(_mm256_or_si256(Nibbles(b.qs), FifthBits(b.qh)), _mm256_set1_epi8(16));
  }
  __m256i Scales(int) const { return _mm256_set1_epi16(1); }
  float Min(int, int) const { return 0.0f; }
};
struct Q5_1Fmt {
  using Block = BlockQ5_1;
  static constexpr int kGroups = 1;
  static constexpr bool kSigned = false, kMins = true;
  const Block& b;
  float d = _cvtsh_ss(b.d), m = -_cvtsh_ss(b.m);
  __m256i Values(int) const { return _mm256_or_si256(Nibbles(b.qs), FifthBits(b.qh)); }
  __m256i Scales(int) const { return _mm256_set1_epi16(1); }
  float Min(int, int) const { return m; }
};
struct Q2_KFmt {
  using Block = BlockQ2_K;
  static constexpr int kGroups = 8;
  static constexpr bool kSigned = false, kMins = true;
  const Block& b;
  float d = _cvtsh_ss(b.d), dmin = _cvtsh_ss(b.dmin);
  __m256i Values(int k) const {
    const __m256i q = Load32(b.qs + 32 * (k / 4));
    return _mm256_and_si256(_mm256_srli_epi16(q, 2 * (k % 4)), _mm256_set1_epi8(3));
  }
  __m256i Scales(int k) const {
    return ScalePair(b.scales[2 * k] & 0xF, b.scales[2 * k + 1] & 0xF);
  }
  float Min(int k, int h) const { return dmin * static_cast<float>(b.scales[2 * k + h] >> 4); }
};
struct Q3_KFmt {
  using Block = BlockQ3_K;
  static constexpr int kGroups = 8;
  static constexpr bool kSigned = true, kMins = false;
  const Block& b;
  float d = _cvtsh_ss(b.d);
  int8_t sc[16];
  explicit Q3_KFmt(const Block& blk) : b(blk) { Q3KScales(b.scales, sc); }
  __m256i Values(int k) const {
    const __m256i q = Load32(b.qs + 32 * (k / 4));
    const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * (k % 4)), _mm256_set1_epi8(3));
    const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << k));
    const __m256i clear =
        _mm256_cmpeq_epi8(_mm256_and_si256(Load32(b.hmask), bit), _mm256_setzero_si256());
    return _mm256_sub_epi8(low, _mm256_and_si256(clear, _mm256_set1_epi8(4)));
  }
  __m256i Scales(int k) const { return ScalePair(sc[2 * k], sc[2 * k + 1]); }
  float Min(int, int) const { return 0.0f; }
};
template <typename B>
struct ScalesMins {  // Q4_K and Q5_K: 8 scales and minimums of 6 bits
  float d, dmin;
  int sc[8];
  float mins[8];
  explicit ScalesMins(const B& b) : d(_cvtsh_ss(b.d)), dmin(_cvtsh_ss(b.dmin)) {
    for (int j = 0; j < 8; ++j) {
      int m;
      KScaleMin(b.scales, j, sc[j], m);
      mins[j] = dmin * static_cast<float>(m);
    }
  }
};
struct Q4_KFmt : ScalesMins<BlockQ4_K> {
  using Block = BlockQ4_K;
  static constexpr int kGroups = 8;
  static constexpr bool kSigned = false, kMins = true;
  const Block& b;
  explicit Q4_KFmt(const Block& blk) : ScalesMins(blk), b(blk) {}
  __m256i Values(int k) const {
    const __m256i q = Load32(b.qs + 32 * (k / 2));
    return _mm256_and_si256(k % 2 ? _mm256_srli_epi16(q, 4) : q, _mm256_set1_epi8(0xf));
  }
  __m256i Scales(int k) const { return _mm256_set1_epi16(static_cast<int16_t>(sc[k])); }
  float Min(int k, int) const { return mins[k]; }
};
struct Q5_KFmt : ScalesMins<BlockQ5_K> {
  using Block = BlockQ5_K;
  static constexpr int kGroups = 8;
  static constexpr bool kSigned = false, kMins = true;
  const Block& b;
  explicit Q5_KFmt(const Block& blk) : ScalesMins(blk), b(blk) {}
  __m256i Values(int k) const {
    const __m256i q = Load32(b.qs + 32 * (k / 2));
    const __m256i low =
        _mm256_and_si256(k % 2 ? _mm256_srli_epi16(q, 4) : q, _mm256_set1_epi8(0xf));
    const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << k));
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(Load32(b.qh), bit), bit);
    return _mm256_or_si256(low, _mm256_and_si256(set, _mm256_set1_epi8(0x10)));
  }
  __m256i Scales(int k) const { return _mm256_set1_epi16(static_cast<int16_t>(sc[k])); }
  float Min(int k, int) const { return mins[k]; }
};
struct Q6_KFmt {
  using Block = BlockQ6_K;
  static constexpr int kGroups = 8;
  static constexpr bool kSigned = true, kMins = false;
  const Block& b;
  float d = _cvtsh_ss(b.d);
  __m256i Values(int k) const {
    const int c = k / 4, t = k % 4;
    const __m256i ql = Load32(b.ql + 64 * c + 32 * (t % 2));
    const __m256i low =
        _mm256_and_si256(t < 2 ? ql : _mm256_srli_epi16(ql, 4), _mm256_set1_epi8(0xf));
    const __m256i qh =
        _mm256_and_si256(_mm256_srli_epi16(Load32(b.qh + 32 * c), 2 * t), _mm256_set1_epi8(3));
    return _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(qh, 4)), _mm256_set1_epi8(32));
  }
  __m256i Scales(int k) const {
    return ScalePair(b.scales[8 * (k / 4) + 2 * (k % 4)], b.scales[8 * (k / 4) + 2 * (k % 4) + 1]);
  }
  float Min(int, int) const { return 0.0f; }
};

constexpr int kPrefetchBytes = 2048;

template <int NX, typename F>
void GroupTile(const typename F::Block* w, const int8_t* x, const float* xd, const int32_t* xsum,
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
          const int32_t* s = xsum + (j * xs + b) * 2;
          mins[j] += dx * (f.Min(k, 0) * static_cast<float>(s[0]) +
                           f.Min(k, 1) * static_cast<float>(s[1]));
        }
      }
    }
  }
  for (int j = 0; j < NX; ++j) out[j] = HSum(acc[j]) - mins[j];
}

constexpr int64_t kChunkRows = 64;

template <typename F>
void GroupRows(const MatArgs& a) {
  SweepRows<typename F::Block, kChunkRows>(
      a, [&a](const typename F::Block* w, int64_t r, int k, float* t) {
        WithTileWidth(k, [&](auto nx) {
          GroupTile<nx(), F>(w, a.xq + r * a.x_stride * kQBlock, a.xd + r * a.x_stride,
                             a.xsum + r * a.x_stride * 2, a.x_stride, a.n, t);
        });
      });
}

}  // namespace

void SetAvx2GroupKernels(DotKernels& k) {
  k.q4_1 = GroupRows<Q4_1Fmt>;
  k.q5_0 = GroupRows<Q5_0Fmt>;
  k.q5_1 = GroupRows<Q5_1Fmt>;
  k.q2_k = GroupRows<Q2_KFmt>;
  k.q3_k = GroupRows<Q3_KFmt>;
  k.q4_k = GroupRows<Q4_KFmt>;
  k.q5_k = GroupRows<Q5_KFmt>;
  k.q6_k = GroupRows<Q6_KFmt>;
}

}  // namespace llms::engine
