// AVX-512 kernels (F, BW, VL, DQ and VNNI; this file alone is compiled with those flags, and
// kernels.cc calls it only after checking the CPU). The Q8_0 and Q4_0 products use VNNI's vpdpbusd
// (the K-quants are in kernels_avx512_groups.cc; Q4_1, Q5_0 and Q5_1 use the AVX2 kernels), which
// multiplies unsigned by signed bytes and adds groups of four into 32-bit lanes. The weights are
// made unsigned (Q8_0: w + 128; Q4_0's nibbles q already are, w = q - 8) and the signed
// activations' offset is subtracted through the accumulator's initial value:
//   sum(w * x) = dpbusd(-k * sum(x), w + k, x),   k = 128 (Q8_0) or 8 (Q4_0),
// with -k * sum(x) per group of four computed once per activation row and product.
// One 512-bit register holds two 32-value blocks (16 lanes, 8 per block); each lane is scaled by
// its block's d_w * d_x and summed in floats. Tiles of up to 4 weight rows x 4 activation rows keep
// 16 accumulators in registers, so a weight block is loaded once per 4 activation rows and an
// activation block once per 4 weight rows; decode at batch 1 has its own one-row loop
// (QuantDotOne) with the same arithmetic in half the instructions. Attention has 16-float
// versions here; the softmax and the activation quantizer reuse the AVX2 kernels. engine_bench's
// MatMul/ and Decode/.../kernels benchmarks compare the two sets.
//
// GCC 12's AVX-512 headers initialise their "undefined" registers from themselves, which
// -Wuninitialized reports at every use (a known false positive of those headers).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "engine/kernels.h"
#include "engine/kernels_rows.h"

namespace llms::engine {

const DotKernels* Avx2KernelsIfBuilt();     // kernels_avx2.cc
void SetAvx512GroupKernels(DotKernels& k);  // kernels_avx512_groups.cc

namespace {

// A register tile: 4 weight rows x 4 activation rows (16 accumulators, with the weights and their
// scales 24 of the 32 registers). Measured against 4 x 3 and 3 x 4 with engine_bench's MatMul/
// benchmark: 4 x 4 the fastest on a Zen 5 core.
constexpr int kTileW = 4;
constexpr int kTileX = 4;
static_assert(kTileW == kTileRows && kTileX == kTileRows, "WithTileWidth dispatches 1..kTileRows");
constexpr int64_t kChunkRows = 64;  // weight rows swept per tile of activation rows (L2-sized)
// Weights stream from memory once: each row's lines are requested 256 blocks (8.5 KiB of Q8_0)
// ahead of use, the best of 32 to 2048 on the MatMul/ benchmark with one activation row. The
// one-row kernel asks for them into L2 (decode measured 1-5% faster than into L1, the same process
// alternating the two, and 1.3x faster than with no software prefetch) and leaves L1 to the
// activations.
constexpr int64_t kPrefetchBlocks = 256;

// Lanes 0-7 take element 0 of v, lanes 8-15 element 1.
inline __m512 SpreadPair(__m512 v) {
  return _mm512_permutexvar_ps(_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0), v);
}

// The block scales of blocks b and b + 1 (F16 in the blocks) as lanes [d_b x 8, d_b+1 x 8].
template <typename Block>
inline __m512 ScalePair(const Block* blk) {
  const __m128i h = _mm_cvtsi32_si128(static_cast<int>(blk[0].d | (uint32_t{blk[1].d} << 16)));
  return SpreadPair(_mm512_castps128_ps512(_mm_cvtph_ps(h)));
}
inline __m512 ScaleOne(uint16_t d) {  // the last, odd block: [d x 8, 0 x 8]
  return _mm512_maskz_mov_ps(0x00ff, _mm512_set1_ps(_cvtsh_ss(d)));
}

// Weight values of blocks b and b + 1 (64 bytes, 32 per block) as unsigned bytes w + kOffset.
struct UnpackQ8 {
  using Block = BlockQ8_0;
  static constexpr int kOffset = 128, kSlot = 0;
  static __m512i Pair(const BlockQ8_0* blk) {
    const __m512i q = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[0].qs))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[1].qs)), 1);
    return _mm512_xor_si512(q, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
  static __m512i One(const BlockQ8_0* blk) {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qs));
    return _mm512_zextsi256_si512(_mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80))));
  }
  // The F16 scales of blocks b..b+3 (bytes 0, 34, 68 and 102): words 0 and 17 of two 64-byte loads
  // that stay inside the four blocks.
  static __m128 Scales4(const BlockQ8_0* blk) {
    const __m512i a = _mm512_loadu_si512(blk), b = _mm512_loadu_si512(blk + 2);
    const __m512i d = _mm512_permutex2var_epi16(
        a,
        _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         0, 0, 0, 49, 32, 17, 0),
        b);
    return _mm_cvtph_ps(_mm512_castsi512_si128(d));
  }
};
// Q4_0: element i < 16 is the low nibble of qs[i], element 16 + i the high one; w = q - 8.
struct UnpackQ4 {
  using Block = BlockQ4_0;
  static constexpr int kOffset = 8, kSlot = 1;
  static __m512i Nibbles(__m512i packed) {  // 128-bit lanes [qs0, qs0, qs1, qs1] -> q
    const __m512i t = _mm512_srlv_epi64(packed, _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0));
    return _mm512_and_si512(t, _mm512_set1_epi8(0x0f));
  }
  static __m512i Pair(const BlockQ4_0* blk) {
    const __m256i both = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[0].qs))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[1].qs)), 1);
    return Nibbles(_mm512_permutexvar_epi64(_mm512_set_epi64(3, 2, 3, 2, 1, 0, 1, 0),
                                            _mm512_castsi256_si512(both)));
  }
  static __m512i One(const BlockQ4_0* blk) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->qs));
    return _mm512_maskz_mov_epi64(0x0f, Nibbles(_mm512_broadcast_i32x4(q)));
  }
  // The F16 scales of blocks b..b+3 (bytes 0, 18, 36 and 54 of one 64-byte load inside them).
  static __m128 Scales4(const BlockQ4_0* blk) {
    const __m512i a = _mm512_loadu_si512(blk);
    const __m512i d =
        _mm512_permutexvar_epi16(_mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 27, 18, 9, 0),
                                 a);
    return _mm_cvtph_ps(_mm512_castsi512_si128(d));
  }
};

// -offset x (sum of each group of four activations) for every activation row of a product: the
// accumulators' initial values, 16 lanes per block pair, rows of `stride` lanes (64-byte aligned;
// an odd last block's second half stays zero). Computed once per product and weight type (slot),
// by whichever call of the product comes first; its other chunks and threads share them.
struct Offsets {
  const int32_t* data;
  int64_t stride;
};
Offsets MakeOffsets(const MatArgs& a, int offset, int slot) {
  std::vector<ActivationScratch::Line>& buf = a.scratch->lines[slot];
  const int64_t nb = a.n / kQBlock;
  const int64_t lines = (nb + 1) / 2;
  std::call_once(a.scratch->filled[slot], [&] {
    buf.assign(static_cast<size_t>(a.nx * lines), ActivationScratch::Line{});
    const __m256i k = _mm256_set1_epi8(static_cast<char>(offset));
    for (int64_t j = 0; j < a.nx; ++j) {
      const int8_t* x = a.xq + j * a.x_stride * kQBlock;
      int32_t* out = buf[static_cast<size_t>(j * lines)].lanes;
      for (int64_t b = 0; b < nb; ++b) {
        const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(x + b * kQBlock));
        const __m256i sum = _mm256_dpbusd_epi32(_mm256_setzero_si256(), k, v);  // offset * sums
        _mm256_store_si256(reinterpret_cast<__m256i*>(out + b * 8),
                           _mm256_sub_epi32(_mm256_setzero_si256(), sum));
      }
    }
  });
  return {buf.data()->lanes, lines * 16};
}

// [v[0] x 8, v[1] x 8] from two floats in memory.
inline __m512 SpreadPair(const float* v) {
  // movq: an unaligned 64-bit load (v is 4-byte aligned).
  const __m128i pair = _mm_loadl_epi64(reinterpret_cast<const __m128i_u*>(v));
  return SpreadPair(_mm512_castps128_ps512(_mm_castsi128_ps(pair)));
}

// RW weight rows against NX activation rows over all blocks; out[r * NX + j]. The weight rows'
// block scales come as floats in ws[r] (converted once per chunk of rows).
template <int RW, int NX, typename U>
void QuantTile(const typename U::Block* const* w, const float* const* ws, const int8_t* xq,
               int64_t xq_stride, const Offsets& off, const float* xd, int64_t xd_stride,
               int64_t nb, float* out) {
  __m512 acc[RW][NX];
  for (int r = 0; r < RW; ++r)
    for (int j = 0; j < NX; ++j) acc[r][j] = _mm512_setzero_ps();
  auto step = [&](int64_t b, auto pair) {
    __m512i wu[RW];
    __m512 dw[RW];
    for (int r = 0; r < RW; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(w[r] + b + kPrefetchBlocks), _MM_HINT_T0);
      wu[r] = pair ? U::Pair(w[r] + b) : U::One(w[r] + b);
      dw[r] = pair ? SpreadPair(ws[r] + b) : _mm512_maskz_mov_ps(0x00ff, _mm512_set1_ps(ws[r][b]));
    }
    for (int j = 0; j < NX; ++j) {
      const int8_t* xb = xq + (j * xq_stride + b) * kQBlock;
      const __m512i x =
          pair ? _mm512_loadu_si512(xb)
               : _mm512_zextsi256_si512(_mm256_load_si256(reinterpret_cast<const __m256i*>(xb)));
      const __m512i c = _mm512_load_si512(off.data + j * off.stride + b * 8);
      const float* d = xd + j * xd_stride + b;
      const __m512 dx = pair ? SpreadPair(d) : _mm512_set1_ps(d[0]);
      for (int r = 0; r < RW; ++r) {
        const __m512i dot = _mm512_dpbusd_epi32(c, wu[r], x);
        acc[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw[r], dx), acc[r][j]);
      }
    }
  };
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) step(b, std::true_type{});
  if (b < nb) step(b, std::false_type{});
  for (int r = 0; r < RW; ++r)
    for (int j = 0; j < NX; ++j) out[r * NX + j] = _mm512_reduce_add_ps(acc[r][j]);
}

// One weight row against one activation row (decode at batch 1): the same products, added in the
// same order, as QuantTile<1, 1> (so a row's result does not depend on its batch), in about half
// the instructions: per four blocks the weight scales come from two loads and a word permute, are
// multiplied by the activations' four scales in one step and spread over two block pairs' lanes.
// Decode streams the weights from memory, and fewer instructions per byte keep more of it in
// flight.
template <typename U>
float QuantDotOne(const typename U::Block* w, const int8_t* xq, const Offsets& off, const float* xd,
                  int64_t nb) {
  using Block = typename U::Block;
  // Eight blocks per iteration, their cache lines (rounded up) prefetched together.
  constexpr int kLines = (8 * sizeof(Block) + 63) / 64;
  const __m512i first = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i second = _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2);
  __m512 acc = _mm512_setzero_ps();
  auto add = [&](int64_t b, __m512i wu, __m512i x, __m512 scale) {
    const __m512i dot = _mm512_dpbusd_epi32(_mm512_load_si512(off.data + b * 8), wu, x);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc);
  };
  auto pair = [&](int64_t b, __m512i wu, __m512 scale) {
    add(b, wu, _mm512_loadu_si512(xq + b * kQBlock), scale);
  };
  auto four = [&](int64_t b) {
    const __m512 s = _mm512_castps128_ps512(_mm_mul_ps(U::Scales4(w + b), _mm_loadu_ps(xd + b)));
    pair(b, U::Pair(w + b), _mm512_permutexvar_ps(first, s));
    pair(b + 2, U::Pair(w + b + 2), _mm512_permutexvar_ps(second, s));
  };
  int64_t b = 0;
  for (; b + 8 <= nb; b += 8) {
    const char* ahead = reinterpret_cast<const char*>(w + b + kPrefetchBlocks);
    for (int i = 0; i < kLines; ++i) _mm_prefetch(ahead + 64 * i, _MM_HINT_T1);
    four(b);
    four(b + 4);
  }
  if (b + 4 <= nb) {
    four(b);
    b += 4;
  }
  if (b + 2 <= nb) {
    pair(b, U::Pair(w + b), _mm512_mul_ps(ScalePair(w + b), SpreadPair(xd + b)));
    b += 2;
  }
  if (b < nb) {  // a lone last block: its activations end 32 bytes into the 64-byte line
    const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(xq + b * kQBlock));
    add(b, U::One(w + b), _mm512_zextsi256_si512(x),
        _mm512_mul_ps(ScaleOne(w[b].d), _mm512_set1_ps(xd[b])));
  }
  return _mm512_reduce_add_ps(acc);
}

template <int RW, typename U>
void QuantTileAnyX(int nx, const typename U::Block* const* w, const float* const* ws,
                   const int8_t* xq, int64_t xq_stride, const Offsets& off, const float* xd,
                   int64_t xd_stride, int64_t nb, float* out) {
  WithTileWidth(nx, [&](auto k) {
    QuantTile<RW, k(), U>(w, ws, xq, xq_stride, off, xd, xd_stride, nb, out);
  });
}

// Chunks of weight rows (kept in L2) swept once per tile of activation rows (kept in L1).
template <typename U>
void QuantRows(const MatArgs& a) {
  using Block = typename U::Block;
  const Offsets off = MakeOffsets(a, U::kOffset, U::kSlot);
  const int64_t nb = a.n / kQBlock;
  // The steps prefetch kPrefetchBlocks ahead; the call's first blocks are asked for here (a call
  // is one of a matrix product's dynamic chunks: a new stream).
  const int64_t ahead = std::min(kPrefetchBlocks, a.rows * nb) * int64_t{sizeof(Block)};
  for (int64_t i = 0; i < ahead; i += 64)
    _mm_prefetch(reinterpret_cast<const char*>(a.w) + i, _MM_HINT_T1);
  auto row = [&a](int64_t o) {
    return reinterpret_cast<const Block*>(a.w + static_cast<size_t>(o) * a.w_stride);
  };
  // One activation row (decode at batch 1): weight rows go one at a time (2 or 4 concurrent weight
  // streams measured 0.6-0.7x as fast as one).
  if (a.nx == 1) {
    for (int64_t o = 0; o < a.rows; ++o) a.out[o] = QuantDotOne<U>(row(o), a.xq, off, a.xd, nb);
    return;
  }
  float t[kTileW * kTileX];
  thread_local std::vector<float> scales;
  scales.resize(static_cast<size_t>(kChunkRows * nb));
  for (int64_t o0 = 0; o0 < a.rows; o0 += kChunkRows) {
    const int64_t o1 = std::min(a.rows, o0 + kChunkRows);
    // The chunk's block scales as floats, once for every tile of activation rows that sweeps it.
    for (int64_t o = o0; o < o1; ++o) {
      const Block* w = row(o);
      float* out = scales.data() + (o - o0) * nb;
      for (int64_t b = 0; b < nb; ++b) out[b] = _cvtsh_ss(w[b].d);
    }
    for (int64_t r = 0; r < a.nx; r += kTileX) {
      const int nx = static_cast<int>(std::min<int64_t>(kTileX, a.nx - r));
      const int8_t* xq = a.xq + r * a.x_stride * kQBlock;
      const Offsets xo{off.data + r * off.stride, off.stride};
      const float* xd = a.xd + r * a.x_stride;
      for (int64_t o = o0; o < o1; o += kTileW) {
        const int rw = static_cast<int>(std::min<int64_t>(kTileW, o1 - o));
        const Block* w[kTileW];
        const float* ws[kTileW];
        for (int i = 0; i < rw; ++i) {
          w[i] = row(o + i);
          ws[i] = scales.data() + (o + i - o0) * nb;
        }
        WithTileWidth(rw, [&](auto k) {
          QuantTileAnyX<k(), U>(nx, w, ws, xq, a.x_stride, xo, xd, a.x_stride, nb, t);
        });
        for (int i = 0; i < rw; ++i)
          for (int j = 0; j < nx; ++j) a.out[(r + j) * a.out_stride + o + i] = t[i * nx + j];
      }
    }
  }
}

void Q8Rows(const MatArgs& a) {
  QuantRows<UnpackQ8>(a);
}
void Q4Rows(const MatArgs& a) {
  QuantRows<UnpackQ4>(a);
}

// Float rows: per activation row two accumulators (elements i..i+15 and i+16..i+31 of each
// 32-element step), a 16-element step into the first, then the rest masked.
template <int NX, typename LoadW>
void FloatTile(LoadW load_w, const float* x, int64_t xs, int64_t n, float* out) {
  __m512 a0[NX], a1[NX];
  for (int j = 0; j < NX; ++j) a0[j] = a1[j] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 w0 = load_w(i, 0xffff), w1 = load_w(i + 16, 0xffff);
    for (int j = 0; j < NX; ++j) {
      a0[j] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + j * xs + i), a0[j]);
      a1[j] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + j * xs + i + 16), a1[j]);
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 m =
        n - i >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 w0 = load_w(i, m);
    for (int j = 0; j < NX; ++j)
      a0[j] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m, x + j * xs + i), a0[j]);
  }
  for (int j = 0; j < NX; ++j) out[j] = _mm512_reduce_add_ps(_mm512_add_ps(a0[j], a1[j]));
}

template <int NX>
void F32Tile(const float* w, const float* x, int64_t xs, int64_t n, float* out) {
  FloatTile<NX>([w](int64_t i, __mmask16 m) { return _mm512_maskz_loadu_ps(m, w + i); }, x, xs, n,
                out);
}
template <int NX>
void F16Tile(const uint16_t* w, const float* x, int64_t xs, int64_t n, float* out) {
  FloatTile<NX>(
      [w](int64_t i, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + i)); },
      x, xs, n, out);
}
template <int NX>
void BF16Tile(const uint16_t* w, const float* x, int64_t xs, int64_t n, float* out) {
  FloatTile<NX>(
      [w](int64_t i, __mmask16 m) {
        const __m512i v = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, w + i));
        return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
      },
      x, xs, n, out);
}

LLMS_DEFINE_FLOAT_ROWS(F32, float)
LLMS_DEFINE_FLOAT_ROWS(F16, uint16_t)
LLMS_DEFINE_FLOAT_ROWS(BF16, uint16_t)

// Attention over one KV block with 16-float vectors (head sizes a multiple of 16, up to 256; others
// take the AVX2 kernels): each key held in registers for all the heads that share it, the weighted
// sum of values with up to 4 heads' outputs held in registers across the block's positions.
const DotKernels* avx2_kernels = nullptr;

void AttnScores512(const float* q, int heads, const float* k, int64_t stride, int count, int hs,
                   float scale, float* out, int64_t out_stride) {
  if (hs % 16 != 0 || hs > 256) {
    avx2_kernels->attn_scores(q, heads, k, stride, count, hs, scale, out, out_stride);
    return;
  }
  const int chunks = hs / 16;
  for (int t = 0; t < count; ++t) {
    const float* kt = k + t * stride;
    __m512 kv[16];
    for (int c = 0; c < chunks; ++c) kv[c] = _mm512_loadu_ps(kt + 16 * c);
    for (int j = 0; j < heads; ++j) {
      const float* qj = q + static_cast<int64_t>(j) * hs;
      __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(qj), kv[0]);
      for (int c = 1; c < chunks; ++c)
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(qj + 16 * c), kv[c], acc);
      out[j * out_stride + t] = _mm512_reduce_add_ps(acc) * scale;
    }
  }
}

void AttnAccumulate512(const float* a, int64_t a_stride, int heads, const float* v, int64_t stride,
                       int count, int hs, float* out) {
  if (hs % 16 != 0 || hs > 256) {
    avx2_kernels->attn_accumulate(a, a_stride, heads, v, stride, count, hs, out);
    return;
  }
  // 64 output values of up to 4 heads in 16 registers; each value chunk read once for them.
  for (int i0 = 0; i0 < hs; i0 += 64) {
    const int n = std::min(4, (hs - i0) / 16);
    for (int j0 = 0; j0 < heads; j0 += 4) {
      const int nj = std::min(4, heads - j0);
      __m512 acc[4][4];
      for (int j = 0; j < nj; ++j)
        for (int c = 0; c < n; ++c) acc[j][c] = _mm512_loadu_ps(out + (j0 + j) * hs + i0 + 16 * c);
      for (int t = 0; t < count; ++t) {
        const float* vt = v + t * stride + i0;
        __m512 vv[4];
        for (int c = 0; c < n; ++c) vv[c] = _mm512_loadu_ps(vt + 16 * c);
        for (int j = 0; j < nj; ++j) {
          const __m512 w = _mm512_set1_ps(a[(j0 + j) * a_stride + t]);
          for (int c = 0; c < n; ++c) acc[j][c] = _mm512_fmadd_ps(w, vv[c], acc[j][c]);
        }
      }
      for (int j = 0; j < nj; ++j)
        for (int c = 0; c < n; ++c) _mm512_storeu_ps(out + (j0 + j) * hs + i0 + 16 * c, acc[j][c]);
    }
  }
}

DotKernels MakeAvx512() {
  avx2_kernels = Avx2KernelsIfBuilt();
  DotKernels k = *avx2_kernels;  // softmax and the activation quantizer
  k.name = "avx512";
  k.f32 = F32Rows;
  k.f16 = F16Rows;
  k.bf16 = BF16Rows;
  k.q8_0 = Q8Rows;
  k.q4_0 = Q4Rows;
  k.attn_scores = AttnScores512;
  k.attn_accumulate = AttnAccumulate512;
  SetAvx512GroupKernels(k);  // the K-quants; Q4_1, Q5_0 and Q5_1 stay AVX2's
  return k;
}

}  // namespace

const DotKernels* Avx512KernelsIfBuilt() {
  static const DotKernels k = MakeAvx512();
  return &k;
}

}  // namespace llms::engine
