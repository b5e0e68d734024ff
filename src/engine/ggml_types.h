// Tensor element types as GGUF (ggml) numbers them, their block layouts, and the scalar reference
// conversions: F32, F16, BF16, the 32-value block types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the
// 256-value K-quants Q2_K..Q6_K, bit-compatible with ggml. Q4_0: 16 bytes of 4-bit values, the
// block's first 16 values in the low nibbles, the last 16 in the high ones, offset by 8; Q5_0/Q5_1
// add the fifth bits in a 32-bit mask; the _1 types add a minimum. The K-quants' layouts and their
// quantizers are in kquants.h. Every quantized type reads as groups of 32 values (UnpackGroup),
// the form the scalar kernels and the dequantizer share. The SIMD kernels (kernels.h) must agree
// with these loops; tests compare them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llms::engine {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kBF16 = 30,
};
// Every type above, in enum order (tests and help texts iterate it).
inline constexpr GgmlType kAllGgmlTypes[] = {
    GgmlType::kF32,  GgmlType::kF16,  GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0,
    GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K,
    GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kBF16};

// Block-quantized (not a plain float type).
bool IsQuantized(GgmlType type);
// Its values carry a subtracted minimum (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K): a product needs the
// activations' sums per 16 values.
bool HasMins(GgmlType type);
// A K-quant (256-value super-blocks): its products take Q8_K activations (kquants.h).
bool IsKQuant(GgmlType type);

struct GgmlTypeTraits {
  std::string_view name;
  int block_values;    // values per block (1 for plain floats)
  size_t block_bytes;  // bytes per block
};

// nullopt for type ids this engine does not implement (the caller names the id in its error).
std::optional<GgmlTypeTraits> TraitsOf(uint32_t type);
std::optional<GgmlType> GgmlTypeFromName(std::string_view name);  // "f32", "q8_0", ...
std::string_view GgmlTypeName(uint32_t type);                     // "Q4_K" etc. for known ids
std::string SupportedTypeNames();  // "F32, F16, Q4_0, ..." (kAllGgmlTypes)

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
struct BlockQ4_1 {
  uint16_t d, m;  // value = d * q + m
  uint8_t qs[kQBlock / 2];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];  // bit j: the fifth bit of value j
  uint8_t qs[kQBlock / 2];
};
struct BlockQ5_1 {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[kQBlock / 2];
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 &&
              sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);

// 32 consecutive values of a quantized row (group g covers values 32g..32g+31):
// value i = (d * scale[i / 16]) * q[i] - min[i / 16], the arithmetic ggml's dequantizers do.
struct QuantGroup {
  float d;
  int32_t scale[2];
  float min[2];
  int8_t q[kQBlock];
};
void UnpackGroup(GgmlType type, const void* row, int64_t g, QuantGroup& out);

float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);  // round to nearest even
inline float BF16ToF32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}
uint16_t F32ToBF16(float f);  // round to nearest even, NaN kept

// One row: `n` floats <-> `n` values of `type` at `dst`/`src` (RowBytes(type, n) bytes). The
// quantizers are ggml's reference ones (what llama.cpp's quantizer runs without an importance
// matrix), so a row quantizes to the same bytes.
void QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n);
void DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n);

}  // namespace llms::engine
