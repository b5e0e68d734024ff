// Tests for the tensor types: F16/BF16 conversions on known bit patterns and rounding, and the
// Q8_0/Q4_0 block layouts' round-trip error bounds.
#include "engine/ggml_types.h"

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
  EXPECT_FALSE(TraitsOf(12).has_value());  // Q4_K is not implemented
  EXPECT_EQ(GgmlTypeName(12), "Q4_K");
  EXPECT_EQ(GgmlTypeFromName("Q8_0"), GgmlType::kQ8_0);
  EXPECT_FALSE(GgmlTypeFromName("q5_1").has_value());
}

TEST(GgmlTypesTest, QuantizedRoundTripErrorIsBoundedPerBlock) {
  Rng rng(3);
  std::vector<float> x(1024), y(1024);
  for (auto& v : x) v = static_cast<float>(rng.NextOpenUnit() * 2 - 1) * 3.0f;
  x[5] = 0.0f;
  std::vector<uint8_t> q(RowBytes(GgmlType::kQ4_0, 1024) * 2);
  for (auto [type, levels] : {std::pair{GgmlType::kQ8_0, 127.0f}, {GgmlType::kQ4_0, 8.0f}}) {
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
