// Tests for the tensor types: F16/BF16 conversions on known bit patterns and rounding, and the
// Q8_0/Q4_0 round-trip error bounds, and hand-written blocks of ggml's layouts (Q5_0, Q4_K, Q6_K)
// decoded as ggml decodes them.
#include "engine/ggml_types.h"
#include "engine/kquants.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"

namespace llms::engine {
namespace {

TEST(GgmlTypesTest, F16KnownValues) {
  EXPECT_EQ(F32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(F32ToF16(-2.0f), 0xc000);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7bff);       // largest finite
  EXPECT_EQ(F32ToF16(65520.0f), 0x7c00);       // rounds to infinity
  EXPECT_EQ(F32ToF16(5.9604645e-8f), 0x0001);  // smallest subnormal
  EXPECT_EQ(F32ToF16(0.0f), 0x0000);
  EXPECT_EQ(F32ToF16(1.0f + 1.0f / 2048), 0x3c00);  // tie rounds to even (down)
  EXPECT_EQ(F32ToF16(1.0f + 3.0f / 2048), 0x3c02);  // tie rounds to even (up)
  EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(NAN))));
  EXPECT_EQ(F16ToF32(0x3555), 0.333251953125f);
  EXPECT_EQ(F16ToF32(0x0001), 5.9604645e-8f);
  EXPECT_EQ(F16ToF32(0xfc00), -INFINITY);
  for (uint32_t h = 0; h < 0x10000; ++h) {  // every finite half survives a round trip
    if ((h & 0x7c00) == 0x7c00) continue;
    ASSERT_EQ(F32ToF16(F16ToF32(static_cast<uint16_t>(h))), h) << h;
  }
}

TEST(GgmlTypesTest, Bf16RoundsToNearestEven) {
  EXPECT_EQ(F32ToBF16(1.0f), 0x3f80);
  EXPECT_EQ(BF16ToF32(0x3f80), 1.0f);
  EXPECT_EQ(F32ToBF16(1.0f + 1.0f / 256), 0x3f80);  // tie, even stays
  EXPECT_EQ(F32ToBF16(1.0f + 3.0f / 256), 0x3f82);  // tie, odd rounds up
  EXPECT_TRUE(std::isnan(BF16ToF32(F32ToBF16(NAN))));
}

TEST(GgmlTypesTest, BlockSizesAndNames) {
  EXPECT_EQ(RowBytes(GgmlType::kQ8_0, 64), 68u);
  EXPECT_EQ(RowBytes(GgmlType::kQ4_0, 64), 36u);
  EXPECT_EQ(RowBytes(GgmlType::kF16, 10), 20u);
  // ggml's block sizes: 256 values in 84, 110, 144, 176 and 210 bytes for Q2_K..Q6_K.
  EXPECT_EQ(RowBytes(GgmlType::kQ4_1, 64), 40u);
  EXPECT_EQ(RowBytes(GgmlType::kQ5_0, 64), 44u);
  EXPECT_EQ(RowBytes(GgmlType::kQ5_1, 64), 48u);
  EXPECT_EQ(RowBytes(GgmlType::kQ2_K, 512), 168u);
  EXPECT_EQ(RowBytes(GgmlType::kQ3_K, 512), 220u);
  EXPECT_EQ(RowBytes(GgmlType::kQ4_K, 512), 288u);
  EXPECT_EQ(RowBytes(GgmlType::kQ5_K, 512), 352u);
  EXPECT_EQ(RowBytes(GgmlType::kQ6_K, 512), 420u);
  EXPECT_EQ(GgmlTypeName(12), "Q4_K");
  EXPECT_FALSE(TraitsOf(16).has_value());  // IQ2_XXS is not implemented
  EXPECT_EQ(GgmlTypeName(16), "IQ2_XXS");
  EXPECT_EQ(GgmlTypeFromName("Q8_0"), GgmlType::kQ8_0);
  EXPECT_EQ(GgmlTypeFromName("q5_k"), GgmlType::kQ5_K);
  EXPECT_FALSE(GgmlTypeFromName("iq4_nl").has_value());
}

// Blocks written by hand in ggml's layouts decode to the values ggml's dequantizers give.
TEST(GgmlTypesTest, HandWrittenBlocksDecodeAsGgmlDefinesThem) {
  std::vector<float> y(256);
  {  // Q5_0: value j = ((nibble | fifth bit << 4) - 16) * d
    BlockQ5_0 b{};
    b.d = F32ToF16(0.5f);
    b.qs[0] = 0x3F;  // value 0: 15, value 16: 3
    b.qh[0] = 0x01;  // value 0's fifth bit
    b.qh[2] = 0x01;  // value 16's
    DequantizeRow(GgmlType::kQ5_0, &b, y.data(), 32);
    EXPECT_EQ(y[0], (31 - 16) * 0.5f);
    EXPECT_EQ(y[16], (19 - 16) * 0.5f);
    EXPECT_EQ(y[1], -16 * 0.5f);
  }
  {  // Q4_K: group j's scale and minimum of 6 bits; j >= 4 splits them over two bytes
    BlockQ4_K b{};
    b.d = F32ToF16(0.25f);
    b.dmin = F32ToF16(0.125f);
    b.scales[0] = 3;             // scale 0
    b.scales[4] = 5;             // min 0
    b.scales[8] = 0x21;          // scale 4 low bits 1, min 4 low bits 2
    b.scales[0] |= 1 << 6;       // scale 4 high bits 1 -> 17
    b.scales[4] |= 2 << 6;       // min 4 high bits 2 -> 34
    b.qs[0] = 0x9 | (0x7 << 4);  // value 0 = 9, value 32 = 7
    b.qs[64] = 0x2;              // value 128 (group 4) = 2
    DequantizeRow(GgmlType::kQ4_K, &b, y.data(), 256);
    EXPECT_EQ(y[0], 0.25f * 3 * 9 - 0.125f * 5);
    EXPECT_EQ(y[128], 0.25f * 17 * 2 - 0.125f * 34);
  }
  {  // Q6_K: per 128 values ql holds nibbles of l and l+64, qh the high bits of l, l+32, l+64, l+96
    BlockQ6_K b{};
    b.d = F32ToF16(2.0f);
    for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j - 8);
    b.ql[1] = 0x5 | (0xA << 4);  // value 1: low 5; value 65: low 10
    b.qh[1] = 0x3 | (0x1 << 4);  // value 1: high 3 -> 53; value 65: high 1 -> 26
    DequantizeRow(GgmlType::kQ6_K, &b, y.data(), 256);
    EXPECT_EQ(y[1], 2.0f * -8 * (53 - 32));
    EXPECT_EQ(y[65], 2.0f * (4 - 8) * (26 - 32));  // value 65: sub-block 4
  }
}

TEST(GgmlTypesTest, QuantizedRoundTripErrorIsBoundedPerBlock) {
  Rng rng(3);
  std::vector<float> x(1024), y(1024);
  for (auto& v : x) v = static_cast<float>(rng.NextOpenUnit() * 2 - 1) * 3.0f;
  x[5] = 0.0f;
  std::vector<uint8_t> q(RowBytes(GgmlType::kQ4_0, 1024) * 2);
  for (auto [type, levels] : {std::pair{GgmlType::kQ8_0, 127.0f}, {GgmlType::kQ4_0, 8.0f}}) {
    // (The other types are checked through their products in kernels_test and against llama.cpp.)
    QuantizeRow(type, x.data(), q.data(), 1024);
    DequantizeRow(type, q.data(), y.data(), 1024);
    for (int b = 0; b < 1024 / kQBlock; ++b) {
      float amax = 0;
      for (int j = 0; j < kQBlock; ++j) amax = std::max(amax, std::fabs(x[b * kQBlock + j]));
      // Half a quantization step (Q8_0), a whole one for Q4_0 (whose 16 levels are asymmetric:
      // -max is clipped to 7/8 of it), plus the F16 rounding of the scale.
      const float step = amax / levels;
      const float bound = (type == GgmlType::kQ4_0 ? step : step * 0.5f) + amax * 1e-3f;
      for (int j = 0; j < kQBlock; ++j) {
        ASSERT_LE(std::fabs(x[b * kQBlock + j] - y[b * kQBlock + j]), bound)
            << GgmlTypeName(static_cast<uint32_t>(type)) << " block " << b;
      }
    }
  }
  // An all-zero block stays zero (no division by zero).
  std::vector<float> zeros(32, 0.0f), back(32, 1.0f);
  QuantizeRow(GgmlType::kQ4_0, zeros.data(), q.data(), 32);
  DequantizeRow(GgmlType::kQ4_0, q.data(), back.data(), 32);
  for (float v : back) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace llms::engine
