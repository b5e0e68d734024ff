// AVX2 + FMA + F16C kernels (this file alone is compiled with -mavx2 -mfma -mf16c; kernels.cc
// calls it only after checking the CPU). Integer Q8_0/Q4_0 products follow ggml's: |w| times
// sign-adjusted x with maddubs, pairwise widening, one float FMA per block.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "engine/kernels.h"
#include "engine/kernels_rows.h"
#include "engine/simd_sum.h"

namespace llms::engine {

void SetAvx2GroupKernels(DotKernels& k);  // kernels_avx2_groups.cc

namespace {

// Float rows: per activation row two accumulators (elements i..i+7 and i+8..i+15 of each
// 16-element step), an 8-element step into the first, then a scalar tail.
template <int NX, typename LoadW, typename ScalarW>
void FloatTile(LoadW load_w, ScalarW scalar_w, const float* x, int64_t xs, int64_t n, float* out) {
  __m256 a0[NX], a1[NX];
  for (int j = 0; j < NX; ++j) a0[j] = a1[j] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = load_w(i), w1 = load_w(i + 8);
    for (int j = 0; j < NX; ++j) {
      a0[j] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + j * xs + i), a0[j]);
      a1[j] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + j * xs + i + 8), a1[j]);
    }
  }
  if (i + 8 <= n) {
    const __m256 w0 = load_w(i);
    for (int j = 0; j < NX; ++j)
      a0[j] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + j * xs + i), a0[j]);
    i += 8;
  }
  for (int j = 0; j < NX; ++j) {
    float s = HSum(_mm256_add_ps(a0[j], a1[j]));
    for (int64_t t = i; t < n; ++t) s += scalar_w(t) * x[j * xs + t];
    out[j] = s;
  }
}

inline __m256 Bf16x8(const uint16_t* p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

template <int NX>
void F32Tile(const float* w, const float* x, int64_t xs, int64_t n, float* out) {
  FloatTile<NX>([w](int64_t i) { return _mm256_loadu_ps(w + i); }, [w](int64_t t) { return w[t]; },
                x, xs, n, out);
}
template <int NX>
void F16Tile(const uint16_t* w, const float* x, int64_t xs, int64_t n, float* out) {
  FloatTile<NX>(
      [w](int64_t i) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
      },
      [w](int64_t t) { return _cvtsh_ss(w[t]); }, x, xs, n, out);
}
template <int NX>
void BF16Tile(const uint16_t* w, const float* x, int64_t xs, int64_t n, float* out) {
  FloatTile<NX>([w](int64_t i) { return Bf16x8(w + i); },
                [w](int64_t t) { return BF16ToF32(w[t]); }, x, xs, n, out);
}

// Products of 32 signed bytes summed in pairs to 8 int32 lanes, as floats: |w| times x with w's
// sign (maddubs needs one unsigned operand), as ggml does.
inline __m256 MulSumI8(__m256i abs_w, __m256i w, __m256i x) {
  const __m256i pairs = _mm256_maddubs_epi16(abs_w, _mm256_sign_epi8(x, w));
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

// Quantized rows: per activation row two accumulators (even and odd blocks).
constexpr int kPrefetchBlocks = 64;  // about 2 KiB ahead

template <int NX, typename W, typename Unpack>
void QuantTile(const W* w, Unpack unpack, const int8_t* x, const float* xd, int64_t xs, int64_t n,
               float* out) {
  __m256 acc0[NX], acc1[NX];  // even and odd blocks (plain arrays unrolled into registers)
  for (int j = 0; j < NX; ++j) acc0[j] = acc1[j] = _mm256_setzero_ps();
  const int64_t nb = n / kQBlock;
  auto step = [&](int64_t b, __m256* acc) {
    const __m256i qw = unpack(w, b);
    const __m256i aw = _mm256_sign_epi8(qw, qw);
    const __m256 dw = _mm256_set1_ps(_cvtsh_ss(w[b].d));
    for (int j = 0; j < NX; ++j) {
      const __m256i qx =
          _mm256_load_si256(reinterpret_cast<const __m256i*>(x + (j * xs + b) * kQBlock));
      // The block scale product in vector registers (a broadcast load, one multiply).
      const __m256 d = _mm256_mul_ps(dw, _mm256_broadcast_ss(&xd[j * xs + b]));
      acc[j] = _mm256_fmadd_ps(d, MulSumI8(aw, qw, qx), acc[j]);
    }
  };
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    // Weights stream from memory once: ask for them ~2 KiB ahead of use.
    _mm_prefetch(reinterpret_cast<const char*>(w + b + kPrefetchBlocks), _MM_HINT_T0);
    step(b, acc0);
    step(b + 1, acc1);
  }
  if (b < nb) step(b, acc0);
  for (int j = 0; j < NX; ++j) out[j] = HSum(_mm256_add_ps(acc0[j], acc1[j]));
}

struct UnpackQ8 {
  __m256i operator()(const BlockQ8_0* w, int64_t b) const {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
  }
};
struct UnpackQ4 {
  __m256i operator()(const BlockQ4_0* w, int64_t b) const {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    const __m256i nibbles =
        _mm256_insertf128_si256(_mm256_castsi128_si256(packed), _mm_srli_epi16(packed, 4), 1);
    return _mm256_sub_epi8(_mm256_and_si256(nibbles, _mm256_set1_epi8(0xf)), _mm256_set1_epi8(8));
  }
};

// Every weight row against all activation rows. Loop order for many activation rows (prefill): a
// chunk of weight rows small enough to stay in L2 is swept once per tile of activation rows, which
// stays in L1.
constexpr int64_t kChunkRows = 64;

LLMS_DEFINE_FLOAT_ROWS(F32, float)
LLMS_DEFINE_FLOAT_ROWS(F16, uint16_t)
LLMS_DEFINE_FLOAT_ROWS(BF16, uint16_t)

// Each weight row against tiles of up to kTileRows quantized activation rows.
template <typename W, typename Unpack>
void QuantRows(const MatArgs& a) {
  SweepRows<W, kChunkRows>(a, [&a](const W* w, int64_t r, int k, float* t) {
    WithTileWidth(k, [&](auto nx) {
      QuantTile<nx()>(w, Unpack(), a.xq + r * a.x_stride * kQBlock, a.xd + r * a.x_stride,
                      a.x_stride, a.n, t);
    });
  });
}
void Q8Rows(const MatArgs& a) {
  QuantRows<BlockQ8_0, UnpackQ8>(a);
}
void Q4Rows(const MatArgs& a) {
  QuantRows<BlockQ4_0, UnpackQ4>(a);
}

// e^x for 8 floats: 2^n * e^r with n = round(x log2 e) and a degree-6 polynomial for e^r on
// [-ln2/2, ln2/2] (Cephes' expf coefficients); relative error about 2e-7 over the clamped range.
inline __m256 Exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33654f)), _mm256_set1_ps(88.37626f));
  const __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i n = _mm256_cvtps_epi32(fx);
  const __m256 pow2n =
      _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(y, pow2n);
}

void Softmax(float* x, int n) {
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  int i = 0;
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  float lanes[8];
  _mm256_storeu_ps(lanes, vmax);
  float max_val = lanes[0];
  for (int j = 1; j < 8; ++j) max_val = std::max(max_val, lanes[j]);
  for (; i < n; ++i) max_val = std::max(max_val, x[i]);
  const __m256 m = _mm256_set1_ps(max_val);
  __m256 vsum = _mm256_setzero_ps();
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
    _mm256_storeu_ps(x + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  if (i < n) {  // the tail through the same exp, padded with -inf (e^-inf -> 0)
    float tail[8];
    for (int j = 0; j < 8; ++j) tail[j] = i + j < n ? x[i + j] - max_val : -INFINITY;
    const __m256 e =
        _mm256_and_ps(Exp8(_mm256_loadu_ps(tail)),
                      _mm256_cmp_ps(_mm256_loadu_ps(tail), _mm256_set1_ps(-INFINITY), _CMP_NEQ_OQ));
    _mm256_storeu_ps(tail, e);
    for (int j = 0; i + j < n; ++j) x[i + j] = tail[j];
    vsum = _mm256_add_ps(vsum, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / HSum(vsum));
  for (i = 0; i + 8 <= n; i += 8)
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  for (; i < n; ++i) x[i] *= _mm_cvtss_f32(_mm256_castps256_ps128(inv));
}

// Up to 4 heads at a time read each key chunk once; per head and position the products are
// summed in the same order whatever the number of heads.
void AttnScores(const float* q, int heads, const float* k, int64_t stride, int count, int hs,
                float scale, float* out, int64_t out_stride) {
  if (hs % 8 != 0) {
    ScalarKernels().attn_scores(q, heads, k, stride, count, hs, scale, out, out_stride);
    return;
  }
  for (int j0 = 0; j0 < heads; j0 += 4) {
    const int nj = std::min(4, heads - j0);
    const float* qj = q + static_cast<int64_t>(j0) * hs;
    for (int t = 0; t < count; ++t) {
      const float* kt = k + t * stride;
      __m256 acc[4];
      const __m256 k0 = _mm256_loadu_ps(kt);
      for (int j = 0; j < nj; ++j) acc[j] = _mm256_mul_ps(_mm256_loadu_ps(qj + j * hs), k0);
      for (int i = 8; i < hs; i += 8) {
        const __m256 ki = _mm256_loadu_ps(kt + i);
        for (int j = 0; j < nj; ++j)
          acc[j] = _mm256_fmadd_ps(_mm256_loadu_ps(qj + j * hs + i), ki, acc[j]);
      }
      for (int j = 0; j < nj; ++j) out[(j0 + j) * out_stride + t] = HSum(acc[j]) * scale;
    }
  }
}

void AttnAccumulate(const float* a, int64_t a_stride, int heads, const float* v, int64_t stride,
                    int count, int hs, float* out) {
  if (hs % 8 != 0) {
    ScalarKernels().attn_accumulate(a, a_stride, heads, v, stride, count, hs, out);
    return;
  }
  for (int j0 = 0; j0 < heads; j0 += 4) {
    const int nj = std::min(4, heads - j0);
    for (int i = 0; i < hs; i += 8) {
      __m256 acc[4];
      for (int j = 0; j < nj; ++j) acc[j] = _mm256_loadu_ps(out + (j0 + j) * hs + i);
      for (int t = 0; t < count; ++t) {
        const __m256 vt = _mm256_loadu_ps(v + t * stride + i);
        for (int j = 0; j < nj; ++j)
          acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(a[(j0 + j) * a_stride + t]), vt, acc[j]);
      }
      for (int j = 0; j < nj; ++j) _mm256_storeu_ps(out + (j0 + j) * hs + i, acc[j]);
    }
  }
}

// Q8_0 activations as ggml's AVX2 quantizer makes them: the block's max |x| / 127 as the scale,
// values rounded to nearest (ties to even, where the reference rounds them away from zero).
void QuantizeQ8(const float* x, int64_t n, int8_t* q, float* d) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / kQBlock; ++b, x += kQBlock, q += kQBlock) {
    __m256 v[4];
    for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(x + 8 * i);
    __m256 m =
        _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                      _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    const float scale = _mm_cvtss_f32(h) / 127.0f;
    const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    d[b] = _cvtsh_ss(_cvtss_sh(scale, _MM_FROUND_TO_NEAREST_INT));
    const __m256 mul = _mm256_set1_ps(inv);
    __m256i i[4];
    for (int k = 0; k < 4; ++k) i[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], mul));
    // Pack 32 int32 -> 32 int8 (the packs work per 128-bit lane; the permute restores order).
    const __m256i p =
        _mm256_packs_epi16(_mm256_packs_epi32(i[0], i[1]), _mm256_packs_epi32(i[2], i[3]));
    _mm256_store_si256(reinterpret_cast<__m256i*>(q),
                       _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
  }
}

DotKernels MakeAvx2() {
  DotKernels k{"avx2",     F32Rows,        F16Rows, BF16Rows,   Q8Rows,  Q4Rows,
               AttnScores, AttnAccumulate, Softmax, QuantizeQ8, nullptr, nullptr,
               nullptr,    nullptr,        nullptr, nullptr,    nullptr, nullptr};
  SetAvx2GroupKernels(k);
  return k;
}

}  // namespace

const DotKernels* Avx2KernelsIfBuilt() {
  static const DotKernels k = MakeAvx2();
  return &k;
}

}  // namespace llms::engine
