// ggml's K-quants: super-blocks of 256 values with quantized sub-block scales (Q2_K, Q3_K, Q6_K:
// 16 sub-blocks of 16; Q4_K, Q5_K: 8 of 32 with minimums), their byte layouts, ggml's reference
// quantizers (the least-squares scale searches llama.cpp's quantizer runs without an importance
// matrix, so a row quantizes to the same bytes) and the unpacking of a super-block's 32-value
// groups into QuantGroup form.
#pragma once

#include <cstdint>

#include "engine/ggml_types.h"

namespace llms::engine {

constexpr int kQK = 256;          // values per super-block
constexpr int kKScaleBytes = 12;  // Q4_K/Q5_K: 8 scales and 8 minimums of 6 bits

struct BlockQ2_K {
  uint8_t scales[kQK / 16];  // per 16 values: scale (low nibble) and minimum (high nibble)
  uint8_t qs[kQK / 4];       // 2-bit values
  uint16_t d, dmin;          // F16 factors of the scales and of the minimums
};
struct BlockQ3_K {
  uint8_t hmask[kQK / 8];  // the values' third bits
  uint8_t qs[kQK / 4];     // their low 2 bits
  uint8_t scales[12];      // 16 scales of 6 bits, offset by 32
  uint16_t d;
};
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK / 8];  // fifth bits
  uint8_t qs[kQK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQK / 2];      // low 4 bits
  uint8_t qh[kQK / 4];      // high 2 bits
  int8_t scales[kQK / 16];  // 8-bit scales per 16 values
  uint16_t d;
};
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

// Scale and minimum j (< 8) of a Q4_K/Q5_K super-block, 6 bits each.
inline void KScaleMin(const uint8_t* s, int j, int& scale, int& min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}
// The 16 signed scales of a Q3_K super-block (6 bits each, offset removed).
void Q3KScales(const uint8_t* packed, int8_t out[16]);

// Rows of n values (a multiple of 256).
void QuantizeRowQ2K(const float* x, BlockQ2_K* y, int64_t n);
void QuantizeRowQ3K(const float* x, BlockQ3_K* y, int64_t n);
void QuantizeRowQ4K(const float* x, BlockQ4_K* y, int64_t n);
void QuantizeRowQ5K(const float* x, BlockQ5_K* y, int64_t n);
void QuantizeRowQ6K(const float* x, BlockQ6_K* y, int64_t n);

// Activations for K-quant products as ggml's Q8_K: per 256 values one float scale d (the signed
// value of largest magnitude maps to -127), int8 values, and their sums per 16 (n a multiple of
// 256; q, d, bsums: n, n / 256 and n / 16 entries).
void QuantizeQ8K(const float* x, int64_t n, int8_t* q, float* d, int16_t* bsums);

// Group g (32 values) of a row of K-quant `type`.
void UnpackKGroup(GgmlType type, const void* row, int64_t g, QuantGroup& out);

}  // namespace llms::engine
