// Scalar reference conversions between float32 and the ggml tensor types.
#include "engine/ggml_types.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <string>

#include "core/text.h"
#include "engine/kquants.h"

namespace llms::engine {

std::optional<GgmlTypeTraits> TraitsOf(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::kF32:
      return GgmlTypeTraits{"F32", 1, 4};
    case GgmlType::kF16:
      return GgmlTypeTraits{"F16", 1, 2};
    case GgmlType::kBF16:
      return GgmlTypeTraits{"BF16", 1, 2};
    case GgmlType::kQ8_0:
      return GgmlTypeTraits{"Q8_0", kQBlock, sizeof(BlockQ8_0)};
    case GgmlType::kQ4_0:
      return GgmlTypeTraits{"Q4_0", kQBlock, sizeof(BlockQ4_0)};
    case GgmlType::kQ4_1:
      return GgmlTypeTraits{"Q4_1", kQBlock, sizeof(BlockQ4_1)};
    case GgmlType::kQ5_0:
      return GgmlTypeTraits{"Q5_0", kQBlock, sizeof(BlockQ5_0)};
    case GgmlType::kQ5_1:
      return GgmlTypeTraits{"Q5_1", kQBlock, sizeof(BlockQ5_1)};
    case GgmlType::kQ2_K:
      return GgmlTypeTraits{"Q2_K", kQK, sizeof(BlockQ2_K)};
    case GgmlType::kQ3_K:
      return GgmlTypeTraits{"Q3_K", kQK, sizeof(BlockQ3_K)};
    case GgmlType::kQ4_K:
      return GgmlTypeTraits{"Q4_K", kQK, sizeof(BlockQ4_K)};
    case GgmlType::kQ5_K:
      return GgmlTypeTraits{"Q5_K", kQK, sizeof(BlockQ5_K)};
    case GgmlType::kQ6_K:
      return GgmlTypeTraits{"Q6_K", kQK, sizeof(BlockQ6_K)};
  }
  return std::nullopt;
}

bool IsQuantized(GgmlType type) {
  return type != GgmlType::kF32 && type != GgmlType::kF16 && type != GgmlType::kBF16;
}

bool HasMins(GgmlType type) {
  return type == GgmlType::kQ4_1 || type == GgmlType::kQ5_1 || type == GgmlType::kQ2_K ||
         type == GgmlType::kQ4_K || type == GgmlType::kQ5_K;
}

bool IsKQuant(GgmlType type) {
  return type == GgmlType::kQ2_K || type == GgmlType::kQ3_K || type == GgmlType::kQ4_K ||
         type == GgmlType::kQ5_K || type == GgmlType::kQ6_K;
}

std::optional<GgmlType> GgmlTypeFromName(std::string_view name) {
  const std::string lower = AsciiLower(name);
  for (GgmlType t : kAllGgmlTypes) {
    if (lower == AsciiLower(TraitsOf(static_cast<uint32_t>(t))->name)) return t;
  }
  return std::nullopt;
}

std::string_view GgmlTypeName(uint32_t type) {
  if (auto t = TraitsOf(type)) return t->name;
  static constexpr std::string_view kNames[] = {
      "F32",     "F16",    "Q4_0",    "Q4_1",  "Q4_2",   "Q4_3",  "Q5_0",  "Q5_1",
      "Q8_0",    "Q8_1",   "Q2_K",    "Q3_K",  "Q4_K",   "Q5_K",  "Q6_K",  "Q8_K",
      "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS",
      "I8",      "I16",    "I32",     "I64",   "F64",    "IQ1_M", "BF16"};
  return type < std::size(kNames) ? kNames[type] : "unknown";
}

std::string SupportedTypeNames() {
  std::string out;
  for (GgmlType t : kAllGgmlTypes) {
    if (!out.empty()) out += ", ";
    out += TraitsOf(static_cast<uint32_t>(t))->name;
  }
  return out;
}

size_t RowBytes(GgmlType type, int64_t cols) {
  const auto t = *TraitsOf(static_cast<uint32_t>(type));
  return static_cast<size_t>(cols / t.block_values) * t.block_bytes;
}

float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: value = mant * 2^-24
      const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
      std::memcpy(&bits, &v, 4);
      bits |= sign;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t F32ToF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00);   // NaN
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00);  // overflow -> inf
  if (abs < 0x38800000u) {  // subnormal or zero in half precision: round mant * 2^24
    float a;
    std::memcpy(&a, &abs, 4);
    const float scaled = a * 16777216.0f;  // exact: a power-of-two scaling
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(scaled)));
  }
  const uint32_t mant_odd = (abs >> 13) & 1;
  const uint32_t rounded = abs + 0xfff + mant_odd;  // round to nearest even at bit 13
  return static_cast<uint16_t>(sign | ((rounded - (112u << 23)) >> 13));
}

uint16_t F32ToBF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 64);  // quiet NaN
  return static_cast<uint16_t>((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

namespace {
// Five-bit values: low nibbles as Q4_0 packs them, the fifth bits in a 32-bit mask (bit j: value
// j).
void PackFiveBits(const uint8_t* q, uint8_t* qs, uint8_t* qh_bytes) {
  uint32_t qh = 0;
  for (int j = 0; j < kQBlock / 2; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0xf) | ((q[j + kQBlock / 2] & 0xf) << 4));
    qh |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    qh |= static_cast<uint32_t>((q[j + kQBlock / 2] >> 4) & 1) << (j + kQBlock / 2);
  }
  std::memcpy(qh_bytes, &qh, 4);
}
}  // namespace

void QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n) {
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case GgmlType::kF16: {
      auto* o = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) o[i] = F32ToF16(src[i]);
      return;
    }
    case GgmlType::kBF16: {
      auto* o = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) o[i] = F32ToBF16(src[i]);
      return;
    }
    case GgmlType::kQ8_0: {
      auto* o = static_cast<BlockQ8_0*>(dst);
      for (int64_t b = 0; b < n / kQBlock; ++b) {
        const float* x = src + b * kQBlock;
        float amax = 0.0f;
        for (int j = 0; j < kQBlock; ++j) amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        o[b].d = F32ToF16(d);
        for (int j = 0; j < kQBlock; ++j) o[b].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
      }
      return;
    }
    case GgmlType::kQ4_0: {
      auto* o = static_cast<BlockQ4_0*>(dst);
      for (int64_t b = 0; b < n / kQBlock; ++b) {
        const float* x = src + b * kQBlock;
        float amax = 0.0f, max = 0.0f;  // the value of largest magnitude, with its sign
        for (int j = 0; j < kQBlock; ++j) {
          if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
          }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        o[b].d = F32ToF16(d);
        for (int j = 0; j < kQBlock / 2; ++j) {
          const int lo = std::min(15, static_cast<int>(x[j] * id + 8.5f));
          const int hi = std::min(15, static_cast<int>(x[j + kQBlock / 2] * id + 8.5f));
          o[b].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
        }
      }
      return;
    }
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1: {
      const bool five = type == GgmlType::kQ5_1;
      const float levels = five ? 31.0f : 15.0f;
      for (int64_t b = 0; b < n / kQBlock; ++b) {
        const float* x = src + b * kQBlock;
        float min = x[0], max = x[0];
        for (int j = 1; j < kQBlock; ++j) {
          min = std::min(min, x[j]);
          max = std::max(max, x[j]);
        }
        const float d = (max - min) / levels;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint8_t q[kQBlock];
        for (int j = 0; j < kQBlock; ++j) {
          const int v = static_cast<int8_t>((x[j] - min) * id + 0.5f);
          q[j] = static_cast<uint8_t>(five ? v : std::min(15, v));
        }
        if (five) {
          auto& o = static_cast<BlockQ5_1*>(dst)[b];
          o.d = F32ToF16(d);
          o.m = F32ToF16(min);
          PackFiveBits(q, o.qs, o.qh);
        } else {
          auto& o = static_cast<BlockQ4_1*>(dst)[b];
          o.d = F32ToF16(d);
          o.m = F32ToF16(min);
          for (int j = 0; j < kQBlock / 2; ++j)
            o.qs[j] = static_cast<uint8_t>(q[j] | (q[j + kQBlock / 2] << 4));
        }
      }
      return;
    }
    case GgmlType::kQ5_0: {
      auto* o = static_cast<BlockQ5_0*>(dst);
      for (int64_t b = 0; b < n / kQBlock; ++b) {
        const float* x = src + b * kQBlock;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < kQBlock; ++j) {
          if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
          }
        }
        const float d = max / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        o[b].d = F32ToF16(d);
        uint8_t q[kQBlock];
        for (int j = 0; j < kQBlock; ++j)
          q[j] = static_cast<uint8_t>(
              std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f))));
        PackFiveBits(q, o[b].qs, o[b].qh);
      }
      return;
    }
    case GgmlType::kQ2_K:
      return QuantizeRowQ2K(src, static_cast<BlockQ2_K*>(dst), n);
    case GgmlType::kQ3_K:
      return QuantizeRowQ3K(src, static_cast<BlockQ3_K*>(dst), n);
    case GgmlType::kQ4_K:
      return QuantizeRowQ4K(src, static_cast<BlockQ4_K*>(dst), n);
    case GgmlType::kQ5_K:
      return QuantizeRowQ5K(src, static_cast<BlockQ5_K*>(dst), n);
    case GgmlType::kQ6_K:
      return QuantizeRowQ6K(src, static_cast<BlockQ6_K*>(dst), n);
  }
}

void UnpackGroup(GgmlType type, const void* row, int64_t g, QuantGroup& out) {
  out.scale[0] = out.scale[1] = 1;
  out.min[0] = out.min[1] = 0.0f;
  switch (type) {
    case GgmlType::kQ8_0: {
      const auto& b = static_cast<const BlockQ8_0*>(row)[g];
      out.d = F16ToF32(b.d);
      std::memcpy(out.q, b.qs, kQBlock);
      return;
    }
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_1: {
      const bool one = type == GgmlType::kQ4_1;
      const uint8_t* qs =
          one ? static_cast<const BlockQ4_1*>(row)[g].qs : static_cast<const BlockQ4_0*>(row)[g].qs;
      const int offset = one ? 0 : 8;
      for (int j = 0; j < kQBlock / 2; ++j) {
        out.q[j] = static_cast<int8_t>((qs[j] & 0xf) - offset);
        out.q[j + kQBlock / 2] = static_cast<int8_t>((qs[j] >> 4) - offset);
      }
      if (one) {
        const auto& b = static_cast<const BlockQ4_1*>(row)[g];
        out.d = F16ToF32(b.d);
        out.min[0] = out.min[1] = -F16ToF32(b.m);
      } else {
        out.d = F16ToF32(static_cast<const BlockQ4_0*>(row)[g].d);
      }
      return;
    }
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1: {
      const bool one = type == GgmlType::kQ5_1;
      const uint8_t* qs =
          one ? static_cast<const BlockQ5_1*>(row)[g].qs : static_cast<const BlockQ5_0*>(row)[g].qs;
      const uint8_t* qh_bytes =
          one ? static_cast<const BlockQ5_1*>(row)[g].qh : static_cast<const BlockQ5_0*>(row)[g].qh;
      uint32_t qh;
      std::memcpy(&qh, qh_bytes, 4);
      const int offset = one ? 0 : 16;
      for (int j = 0; j < kQBlock / 2; ++j) {
        out.q[j] = static_cast<int8_t>(((qs[j] & 0xf) | (((qh >> j) & 1) << 4)) - offset);
        out.q[j + 16] =
            static_cast<int8_t>(((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset);
      }
      if (one) {
        const auto& b = static_cast<const BlockQ5_1*>(row)[g];
        out.d = F16ToF32(b.d);
        out.min[0] = out.min[1] = -F16ToF32(b.m);
      } else {
        out.d = F16ToF32(static_cast<const BlockQ5_0*>(row)[g].d);
      }
      return;
    }
    default:
      return UnpackKGroup(type, row, g, out);
  }
}

void DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1:
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K: {
      QuantGroup grp;
      for (int64_t g = 0; g < n / kQBlock; ++g) {
        UnpackGroup(type, src, g, grp);
        for (int i = 0; i < kQBlock; ++i) {
          const int h = i / 16;
          dst[g * kQBlock + i] = (grp.d * static_cast<float>(grp.scale[h])) * grp.q[i] - grp.min[h];
        }
      }
      return;
    }
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case GgmlType::kF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = F16ToF32(s[i]);
      return;
    }
    case GgmlType::kBF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = BF16ToF32(s[i]);
      return;
    }
    case GgmlType::kQ8_0: {
      const auto* s = static_cast<const BlockQ8_0*>(src);
      for (int64_t b = 0; b < n / kQBlock; ++b) {
        const float d = F16ToF32(s[b].d);
        for (int j = 0; j < kQBlock; ++j) dst[b * kQBlock + j] = d * s[b].qs[j];
      }
      return;
    }
    case GgmlType::kQ4_0: {
      const auto* s = static_cast<const BlockQ4_0*>(src);
      for (int64_t b = 0; b < n / kQBlock; ++b) {
        const float d = F16ToF32(s[b].d);
        for (int j = 0; j < kQBlock / 2; ++j) {
          dst[b * kQBlock + j] = d * static_cast<float>((s[b].qs[j] & 0xf) - 8);
          dst[b * kQBlock + j + kQBlock / 2] = d * static_cast<float>((s[b].qs[j] >> 4) - 8);
        }
      }
      return;
    }
  }
}

}  // namespace llms::engine
