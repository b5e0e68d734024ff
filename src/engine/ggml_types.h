// Tensor element types as GGUF (ggml) numbers them, their block layouts, and the scalar reference
// conversions: F32, F16, BF16, Q8_0 and Q4_0. Quantized types store rows in blocks of 32 values
// with one F16 scale each (Q8_0: 32 int8; Q4_0: 16 bytes of 4-bit values, the block's first 16
// values in the low nibbles, the last 16 in the high ones, offset by 8), bit-compatible with ggml.
// The SIMD kernels (kernels.h) must agree with these loops; tests compare them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace llms::engine {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kBF16 = 30,
};

struct GgmlTypeTraits {
  std::string_view name;
  int block_values;    // values per block (1 for plain floats)
  size_t block_bytes;  // bytes per block
};

// nullopt for type ids this engine does not implement (the caller names the id in its error).
std::optional<GgmlTypeTraits> TraitsOf(uint32_t type);
std::optional<GgmlType> GgmlTypeFromName(std::string_view name);  // "f32", "q8_0", ...
std::string_view GgmlTypeName(uint32_t type);                     // "Q4_K" etc. for known ids

// Bytes of one row of `cols` values; cols must be a multiple of the type's block size.
size_t RowBytes(GgmlType type, int64_t cols);

constexpr int kQBlock = 32;
struct BlockQ8_0 {
  uint16_t d;  // F16 scale
  int8_t qs[kQBlock];
};
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQBlock / 2];
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18);

float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);  // round to nearest even
inline float BF16ToF32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}
uint16_t F32ToBF16(float f);  // round to nearest even, NaN kept

// One row: `n` floats <-> `n` values of `type` at `dst`/`src` (RowBytes(type, n) bytes).
void QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n);
void DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n);

}  // namespace llms::engine
