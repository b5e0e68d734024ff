// ggml's K-quant reference quantizers and the unpacking of K-quant groups.
#include "engine/kquants.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace llms::engine {

namespace {

constexpr float kGroupMaxEps = 1e-15f;

// Round to nearest, ties to even, as ggml's nearest_int does (|v| < 2^22).
inline int NearestInt(float v) {
  const float shifted = v + 12582912.0f;
  int32_t i;
  std::memcpy(&i, &shifted, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// Weighted least-squares fit of x ~ scale * L + min (L in [0, nmax], min <= 0): a first guess
// from the range, then nstep + 1 trial scales around it, each refined by the closed-form
// solution. Returns the scale; *neg_min = -min.
float FitScaleMin(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* neg_min,
                  float rmin, float rdelta, int nstep, bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = weights[0], sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
    sum_w += weights[i];
    sum_x += weights[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *neg_min = -min;
    return 0.0f;
  }
  auto err = [&](float d) { return use_mad ? std::fabs(d) : d * d; };
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(std::clamp(NearestInt(iscale * (x[i] - min)), 0, nmax));
    best_error += weights[i] * err(scale * L[i] + min - x[i]);
  }
  uint8_t trial[32];
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
      trial[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i)
        cur_error += weights[i] * err(this_scale * trial[i] + this_min - x[i]);
      if (cur_error < best_error) {
        std::memcpy(L, trial, static_cast<size_t>(n));
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *neg_min = -min;
  return scale;
}

// The value of largest magnitude, with its sign (the first of equals).
float LargestMagnitude(int n, const float* x) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  return max;
}

// Symmetric fit x ~ scale * (L - nmax), weights x^2 (ggml's make_qx_quants, rmse type 1): the
// range's scale and 18 trial scales around it, the least-squares best kept. L in [0, 2 nmax).
float FitScaleSymmetric(int n, int nmax, const float* x, int8_t* L) {
  const float max = LargestMagnitude(n, x);
  if (std::fabs(max) < kGroupMaxEps) {  // all (near) zero
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i)
        L[i] = static_cast<int8_t>(nmax + std::clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Q3_K's fit (ggml's make_q3_quants with rmse): the range's guess, then up to five passes moving
// single values to their best level while the weighted error falls. L in [0, 2 nmax).
float FitScaleQ3(int n, int nmax, const float* x, int8_t* L) {
  const float max = LargestMagnitude(n, x);
  if (std::fabs(max) < kGroupMaxEps) {  // all (near) zero
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * L[i] * L[i];
        const int l = std::clamp(NearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (l != L[i]) {
          slx += w * x[i] * l;
          sl2 += w * l * l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(l);
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Q4_K and Q5_K share everything but the value width (nmax 15 or 31) and the search constants.
template <int kNmax>
void FitScalesMins(const float* x, uint16_t& d, uint16_t& dmin, uint8_t* packed, uint8_t* L,
                   float rmin, int nstep) {
  float scales[8], mins[8], weights[32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] =
        FitScaleMin(32, kNmax, x + 32 * j, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep, false);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < 8; ++j) {
    const uint8_t ls = static_cast<uint8_t>(std::min(63, NearestInt(inv_scale * scales[j]) & 0xff));
    const uint8_t lm = static_cast<uint8_t>(std::min(63, NearestInt(inv_min * mins[j]) & 0xff));
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  d = F32ToF16(max_scale / 63.f);
  dmin = F32ToF16(max_min / 63.f);
  // The values again, against the scales as stored.
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    KScaleMin(packed, j, sc, m);
    const float dj = F16ToF32(d) * sc;
    if (!dj) continue;
    const float dm = F16ToF32(dmin) * m;
    for (int i = 0; i < 32; ++i)
      L[32 * j + i] =
          static_cast<uint8_t>(std::clamp(NearestInt((x[32 * j + i] + dm) / dj), 0, kNmax));
  }
}

// 2-bit values of 128 at a time: byte l of each 32 holds values l, l+32, l+64, l+96.
void Pack2Bits(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kQK; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                                           (L[j + l + 96] << 6));
    }
  }
}

}  // namespace

void Q3KScales(const uint8_t* packed, int8_t out[16]) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

void QuantizeRowQ2K(const float* x, BlockQ2_K* y, int64_t n) {
  uint8_t L[kQK];
  float weights[16], mins[16], scales[16];
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ2_K& out = y[b];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] =
          FitScaleMin(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    if (max_scale > 0) {
      const float iscale = 15.f / max_scale;
      for (int j = 0; j < 16; ++j)
        out.scales[j] = static_cast<uint8_t>(NearestInt(iscale * scales[j]));
      out.d = F32ToF16(max_scale / 15.f);
    } else {
      for (int j = 0; j < 16; ++j) out.scales[j] = 0;
      out.d = F32ToF16(0.f);
    }
    if (max_min > 0) {
      const float iscale = 15.f / max_min;
      for (int j = 0; j < 16; ++j)
        out.scales[j] |= static_cast<uint8_t>(NearestInt(iscale * mins[j]) << 4);
      out.dmin = F32ToF16(max_min / 15.f);
    } else {
      out.dmin = F32ToF16(0.f);
    }
    for (int j = 0; j < 16; ++j) {
      const float d = F16ToF32(out.d) * (out.scales[j] & 0xF);
      if (!d) continue;
      const float dm = F16ToF32(out.dmin) * (out.scales[j] >> 4);
      for (int i = 0; i < 16; ++i)
        L[16 * j + i] =
            static_cast<uint8_t>(std::clamp(NearestInt((x[16 * j + i] + dm) / d), 0, 3));
    }
    Pack2Bits(L, out.qs);
  }
}

void QuantizeRowQ3K(const float* x, BlockQ3_K* y, int64_t n) {
  int8_t L[kQK];
  float scales[16];
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ3_K& out = y[b];
    for (int j = 0; j < 16; ++j) scales[j] = FitScaleQ3(16, 4, x + 16 * j, L + 16 * j);
    const float max_scale = LargestMagnitude(16, scales);
    std::memset(out.scales, 0, 12);
    if (max_scale) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        int l = static_cast<int8_t>(NearestInt(iscale * scales[j]));
        l = std::clamp(l, -32, 31) + 32;
        if (j < 8) {
          out.scales[j] = static_cast<uint8_t>(l & 0xF);
        } else {
          out.scales[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
        }
        out.scales[j % 4 + 8] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
      }
      out.d = F32ToF16(1 / iscale);
    } else {
      out.d = F32ToF16(0.f);
    }
    int8_t sc[16];
    Q3KScales(out.scales, sc);
    for (int j = 0; j < 16; ++j) {
      const float d = F16ToF32(out.d) * sc[j];
      if (!d) continue;
      for (int i = 0; i < 16; ++i)
        L[16 * j + i] = static_cast<int8_t>(std::clamp(NearestInt(x[16 * j + i] / d), -4, 3) + 4);
    }
    // Third bits: value j's in bit j / 32 of hmask[j % 32].
    std::memset(out.hmask, 0, sizeof(out.hmask));
    uint8_t low[kQK];
    for (int j = 0; j < kQK; ++j) {
      int l = L[j];
      if (l > 3) {
        out.hmask[j % 32] |= static_cast<uint8_t>(1 << (j / 32));
        l -= 4;
      }
      low[j] = static_cast<uint8_t>(l);
    }
    Pack2Bits(low, out.qs);
  }
}

void QuantizeRowQ4K(const float* x, BlockQ4_K* y, int64_t n) {
  uint8_t L[kQK];
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ4_K& out = y[b];
    FitScalesMins<15>(x, out.d, out.dmin, out.scales, L, -1.f, 20);
    // Byte l of each 32 holds value l (low nibble) and l + 32 (high) of each 64.
    for (int j = 0; j < kQK; j += 64) {
      for (int l = 0; l < 32; ++l)
        out.qs[j / 2 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
    }
  }
}

void QuantizeRowQ5K(const float* x, BlockQ5_K* y, int64_t n) {
  uint8_t L[kQK];
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ5_K& out = y[b];
    FitScalesMins<31>(x, out.d, out.dmin, out.scales, L, -0.5f, 15);
    std::memset(out.qh, 0, sizeof(out.qh));
    for (int j = 0; j < kQK; j += 64) {
      const int bit = j / 32;  // the fifth bits of the 64: bits 2c and 2c + 1 of qh[l]
      for (int l = 0; l < 32; ++l) {
        int l1 = L[j + l], l2 = L[j + l + 32];
        if (l1 > 15) {
          l1 -= 16;
          out.qh[l] |= static_cast<uint8_t>(1 << bit);
        }
        if (l2 > 15) {
          l2 -= 16;
          out.qh[l] |= static_cast<uint8_t>(2 << bit);
        }
        out.qs[j / 2 + l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
    }
  }
}

void QuantizeRowQ6K(const float* x, BlockQ6_K* y, int64_t n) {
  int8_t L[kQK];
  float scales[16];
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    BlockQ6_K& out = y[b];
    for (int j = 0; j < 16; ++j) scales[j] = FitScaleSymmetric(16, 32, x + 16 * j, L + 16 * j);
    const float max_scale = LargestMagnitude(16, scales);
    if (std::fabs(max_scale) < kGroupMaxEps) {
      std::memset(&out, 0, sizeof(out));
      continue;
    }
    const float iscale = -128.f / max_scale;
    out.d = F32ToF16(1 / iscale);
    for (int j = 0; j < 16; ++j)
      out.scales[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[j])));
    for (int j = 0; j < 16; ++j) {
      const float d = F16ToF32(out.d) * out.scales[j];
      if (!d) continue;
      for (int i = 0; i < 16; ++i)
        L[16 * j + i] =
            static_cast<int8_t>(std::clamp(NearestInt(x[16 * j + i] / d), -32, 31) + 32);
    }
    // Per 128 values: ql byte l holds values l and l+64 (nibbles), ql[l+32] values l+32 and
    // l+96; qh[l] their high 2 bits in that order.
    for (int j = 0; j < kQK; j += 128) {
      uint8_t* ql = out.ql + j / 2;
      uint8_t* qh = out.qh + j / 4;
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
        ql[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) |
                                     ((q4 >> 4) << 6));
      }
    }
  }
}

void QuantizeQ8K(const float* x, int64_t n, int8_t* q, float* d, int16_t* bsums) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK, q += kQK, bsums += kQK / 16) {
    const float max = LargestMagnitude(kQK, x);
    if (max == 0.0f) {
      d[b] = 0.0f;
      std::memset(q, 0, kQK);
      std::memset(bsums, 0, kQK / 16 * sizeof(int16_t));
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQK; ++j)
      q[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * x[j])));
    for (int j = 0; j < kQK / 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += q[j * 16 + i];
      bsums[j] = static_cast<int16_t>(sum);
    }
    d[b] = 1 / iscale;
  }
}

void UnpackKGroup(GgmlType type, const void* row, int64_t g, QuantGroup& out) {
  const int64_t sb = g / 8;
  const int k = static_cast<int>(g % 8);  // group within the super-block
  switch (type) {
    case GgmlType::kQ2_K: {
      const BlockQ2_K& b = static_cast<const BlockQ2_K*>(row)[sb];
      const uint8_t* q = b.qs + 32 * (k / 4);
      const int shift = 2 * (k % 4);
      out.d = F16ToF32(b.d);
      const float dmin = F16ToF32(b.dmin);
      for (int h = 0; h < 2; ++h) {
        out.scale[h] = b.scales[2 * k + h] & 0xF;
        out.min[h] = dmin * static_cast<float>(b.scales[2 * k + h] >> 4);
      }
      for (int l = 0; l < 32; ++l) out.q[l] = static_cast<int8_t>((q[l] >> shift) & 3);
      return;
    }
    case GgmlType::kQ3_K: {
      const BlockQ3_K& b = static_cast<const BlockQ3_K*>(row)[sb];
      const uint8_t* q = b.qs + 32 * (k / 4);
      const int shift = 2 * (k % 4);
      int8_t sc[16];
      Q3KScales(b.scales, sc);
      out.d = F16ToF32(b.d);
      for (int h = 0; h < 2; ++h) {
        out.scale[h] = sc[2 * k + h];
        out.min[h] = 0.0f;
      }
      for (int l = 0; l < 32; ++l) {
        const int high = (b.hmask[l] >> k) & 1;
        out.q[l] = static_cast<int8_t>(((q[l] >> shift) & 3) - (high ? 0 : 4));
      }
      return;
    }
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K: {
      const bool five = type == GgmlType::kQ5_K;
      const uint8_t* raw = static_cast<const uint8_t*>(row) +
                           static_cast<size_t>(sb) * (five ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
      uint16_t d, dmin;
      std::memcpy(&d, raw, 2);
      std::memcpy(&dmin, raw + 2, 2);
      const uint8_t* scales = raw + 4;
      const uint8_t* qs = five ? reinterpret_cast<const BlockQ5_K*>(raw)->qs
                               : reinterpret_cast<const BlockQ4_K*>(raw)->qs;
      int sc, m;
      KScaleMin(scales, k, sc, m);
      out.d = F16ToF32(d);
      out.scale[0] = out.scale[1] = sc;
      out.min[0] = out.min[1] = F16ToF32(dmin) * static_cast<float>(m);
      const uint8_t* q = qs + 32 * (k / 2);
      for (int l = 0; l < 32; ++l) {
        int v = k % 2 ? q[l] >> 4 : q[l] & 0xF;
        if (five) v += ((reinterpret_cast<const BlockQ5_K*>(raw)->qh[l] >> k) & 1) << 4;
        out.q[l] = static_cast<int8_t>(v);
      }
      return;
    }
    case GgmlType::kQ6_K: {
      const BlockQ6_K& b = static_cast<const BlockQ6_K*>(row)[sb];
      const int c = k / 4, t = k % 4;
      const uint8_t* ql = b.ql + 64 * c + (t % 2) * 32;
      const uint8_t* qh = b.qh + 32 * c;
      out.d = F16ToF32(b.d);
      for (int h = 0; h < 2; ++h) {
        out.scale[h] = b.scales[8 * c + 2 * t + h];
        out.min[h] = 0.0f;
      }
      for (int l = 0; l < 32; ++l) {
        const int low = t < 2 ? ql[l] & 0xF : ql[l] >> 4;
        out.q[l] = static_cast<int8_t>((low | (((qh[l] >> (2 * t)) & 3) << 4)) - 32);
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace llms::engine
