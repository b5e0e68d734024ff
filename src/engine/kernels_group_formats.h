// The 32-value groups of the block-quantized weight types unpacked with AVX2 (included only by the
// files compiled with AVX2 or AVX-512 flags: kernels_avx2_groups.cc, kernels_avx512_groups.cc).
// One format per type, made from one block: d (and dmin), Values(k) (group k's 32 values as
// bytes), Scales(k) (16 int16 lanes: the first 16 values' scale in the low half, the second's in
// the high half) and, with minimums, Min(k, half) for the 32-value types or Mins() for the
// K-quants (16 int16 lanes, one per 16 values, against the activations' sums per 16). The
// K-quants' values are all unsigned: Q3_K and Q6_K's offsets of 4 and 32 become minimums of
// offset x scale with dmin = d.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "engine/ggml_types.h"
#include "engine/kquants.h"

namespace llms::engine::group_formats {

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
  const Block& b;
  float d = _cvtsh_ss(b.d), dmin = _cvtsh_ss(b.dmin);
  __m256i Values(int k) const {
    const __m256i q = Load32(b.qs + 32 * (k / 4));
    return _mm256_and_si256(_mm256_srli_epi16(q, 2 * (k % 4)), _mm256_set1_epi8(3));
  }
  __m256i Scales(int k) const {
    return ScalePair(b.scales[2 * k] & 0xF, b.scales[2 * k + 1] & 0xF);
  }
  __m256i Mins() const {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
    return _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0xF)));
  }
};
struct Q3_KFmt {
  using Block = BlockQ3_K;
  const Block& b;
  float d = _cvtsh_ss(b.d), dmin = d;
  int8_t sc[16];
  explicit Q3_KFmt(const Block& blk) : b(blk) { Q3KScales(b.scales, sc); }
  __m256i Values(int k) const {  // low 2 bits + 4 x the high bit: value + 4
    const __m256i q = Load32(b.qs + 32 * (k / 4));
    const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * (k % 4)), _mm256_set1_epi8(3));
    const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << k));
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(Load32(b.hmask), bit), bit);
    return _mm256_or_si256(low, _mm256_and_si256(set, _mm256_set1_epi8(4)));
  }
  __m256i Scales(int k) const { return ScalePair(sc[2 * k], sc[2 * k + 1]); }
  __m256i Mins() const {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(sc));
    return _mm256_slli_epi16(_mm256_cvtepi8_epi16(s), 2);  // 4 x scale
  }
};
// Q4_K and Q5_K's 12 bytes of 6-bit scales and minimums as 16 int16 lanes: scales 0-7, then
// minimums 0-7 (ggml's mask arithmetic over four 32-bit words).
inline __m256i ScalesAndMins(const uint8_t* packed) {
  uint32_t u[4];
  std::memcpy(u, packed, 12);
  constexpr uint32_t k6 = 0x3f3f3f3f, k4 = 0x0f0f0f0f, k2 = 0x03030303;
  u[3] = ((u[2] >> 4) & k4) | (((u[1] >> 6) & k2) << 4);  // minimums 4-7
  const uint32_t mins_low = u[1] & k6;                    // minimums 0-3
  u[1] = (u[2] & k4) | (((u[0] >> 6) & k2) << 4);         // scales 4-7
  u[2] = mins_low;
  u[0] &= k6;  // scales 0-3
  return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(u)));
}
// Byte shuffles within each 128-bit half: kBroadcast16[k] repeats int16 lane k; kPairLanes, over
// 8 values in both halves, gives each of lanes 0-3 twice in the low half and 4-7 in the high half
// (a per-32 value against sums per 16).
alignas(32) constexpr int8_t kBroadcast16[8][32] = {
#define LLMS_LANE(k)                                                                              \
  {                                                                                               \
    2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1,     \
        2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1, \
        2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1, \
        2 * k, 2 * k + 1                                                                          \
  }
    LLMS_LANE(0), LLMS_LANE(1), LLMS_LANE(2), LLMS_LANE(3),
    LLMS_LANE(4), LLMS_LANE(5), LLMS_LANE(6), LLMS_LANE(7)};
#undef LLMS_LANE
alignas(32) constexpr int8_t kPairLanes[32] = {0,  1,  0,  1,  2,  3,  2,  3,  4,  5,  4,
                                               5,  6,  7,  6,  7,  8,  9,  8,  9,  10, 11,
                                               10, 11, 12, 13, 12, 13, 14, 15, 14, 15};
inline __m256i Shuffle(__m256i v, const int8_t* control) {
  return _mm256_shuffle_epi8(v, _mm256_load_si256(reinterpret_cast<const __m256i*>(control)));
}

template <typename B>
struct ScalesMins {  // Q4_K and Q5_K: one scale per 32 values, minimums per 32
  float d, dmin;
  __m256i scales;  // scales 0-7 in both halves
  __m256i mins;    // lane l: the minimum of values 16l..16l+15
  explicit ScalesMins(const B& b) : d(_cvtsh_ss(b.d)), dmin(_cvtsh_ss(b.dmin)) {
    const __m256i both = ScalesAndMins(b.scales);
    scales = _mm256_permute2x128_si256(both, both, 0x00);
    mins = Shuffle(_mm256_permute2x128_si256(both, both, 0x11), kPairLanes);
  }
  __m256i Scales(int k) const { return Shuffle(scales, kBroadcast16[k]); }
  __m256i Mins() const { return mins; }
};
struct Q4_KFmt : ScalesMins<BlockQ4_K> {
  using Block = BlockQ4_K;
  const Block& b;
  explicit Q4_KFmt(const Block& blk) : ScalesMins(blk), b(blk) {}
  __m256i Values(int k) const {
    const __m256i q = Load32(b.qs + 32 * (k / 2));
    return _mm256_and_si256(k % 2 ? _mm256_srli_epi16(q, 4) : q, _mm256_set1_epi8(0xf));
  }
};
struct Q5_KFmt : ScalesMins<BlockQ5_K> {
  using Block = BlockQ5_K;
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
};
// kScalePair[j]: over 8 int16 lanes in both halves, lane 2j in the low half, 2j + 1 in the high.
alignas(32) constexpr int8_t kScalePair[4][32] = {
#define LLMS_PAIR(j)                                                                            \
  {                                                                                             \
    4 * j, 4 * j + 1, 4 * j, 4 * j + 1, 4 * j, 4 * j + 1, 4 * j, 4 * j + 1, 4 * j, 4 * j + 1,   \
        4 * j, 4 * j + 1, 4 * j, 4 * j + 1, 4 * j, 4 * j + 1, 4 * j + 2, 4 * j + 3, 4 * j + 2,  \
        4 * j + 3, 4 * j + 2, 4 * j + 3, 4 * j + 2, 4 * j + 3, 4 * j + 2, 4 * j + 3, 4 * j + 2, \
        4 * j + 3, 4 * j + 2, 4 * j + 3, 4 * j + 2, 4 * j + 3                                   \
  }
    LLMS_PAIR(0), LLMS_PAIR(1), LLMS_PAIR(2), LLMS_PAIR(3)};
#undef LLMS_PAIR

struct Q6_KFmt {
  using Block = BlockQ6_K;
  const Block& b;
  float d, dmin;
  __m256i low, high;  // scales 0-7 and 8-15 (int16) in both halves
  __m256i mins;       // 32 x scale l at lane l
  explicit Q6_KFmt(const Block& blk) : b(blk), d(_cvtsh_ss(b.d)), dmin(d) {
    const __m256i sc =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    low = _mm256_permute2x128_si256(sc, sc, 0x00);
    high = _mm256_permute2x128_si256(sc, sc, 0x11);
    mins = _mm256_slli_epi16(sc, 5);
  }
  __m256i Values(int k) const {  // value + 32
    const int c = k / 4, t = k % 4;
    const __m256i ql = Load32(b.ql + 64 * c + 32 * (t % 2));
    const __m256i low =
        _mm256_and_si256(t < 2 ? ql : _mm256_srli_epi16(ql, 4), _mm256_set1_epi8(0xf));
    const __m256i qh =
        _mm256_and_si256(_mm256_srli_epi16(Load32(b.qh + 32 * c), 2 * t), _mm256_set1_epi8(3));
    return _mm256_or_si256(low, _mm256_slli_epi16(qh, 4));
  }
  __m256i Scales(int k) const { return Shuffle(k < 4 ? low : high, kScalePair[k % 4]); }
  __m256i Mins() const { return mins; }
};

}  // namespace llms::engine::group_formats
