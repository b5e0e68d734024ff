// Tests for the kernels: the AVX2 kernels agree with the scalar reference for every type, the
// quantized products approximate the float product, and threaded MatMul equals single-threaded.
#include "engine/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"

namespace llms::engine {
namespace {

std::vector<float> Random(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.NextOpenUnit() * 2 - 1);
  return v;
}

struct Weights {
  std::vector<uint8_t> bytes;
  Tensor tensor;
};

Weights Make(GgmlType type, const std::vector<float>& w, int64_t rows, int64_t cols) {
  Weights out;
  out.bytes.resize(RowBytes(type, cols) * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    QuantizeRow(type, w.data() + r * cols, out.bytes.data() + r * RowBytes(type, cols), cols);
  }
  out.tensor = Tensor{type, out.bytes.data(), rows, cols};
  return out;
}

const GgmlType kTypes[] = {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0,
                           GgmlType::kQ4_0};

TEST(KernelsTest, Avx2AgreesWithScalar) {
  const DotKernels* avx2 = Avx2Kernels();
  if (!avx2) GTEST_SKIP() << "this CPU has no AVX2/FMA/F16C";
  const int64_t rows = 37, cols = 320, n = 3;
  const auto w = Random(static_cast<size_t>(rows * cols), 1);
  const auto x = Random(static_cast<size_t>(n * cols), 2);
  for (GgmlType type : kTypes) {
    const Weights wt = Make(type, w, rows, cols);
    std::vector<float> a(static_cast<size_t>(rows * n)), b(a.size());
    MatMul(wt.tensor, x.data(), n, a.data(), nullptr, ScalarKernels());
    MatMul(wt.tensor, x.data(), n, b.data(), nullptr, *avx2);
    for (size_t i = 0; i < a.size(); ++i) {
      // Same products, different summation order: float rounding only.
      ASSERT_NEAR(a[i], b[i], 1e-4f * (1 + std::fabs(a[i])))
          << GgmlTypeName(static_cast<uint32_t>(type)) << " " << i;
    }
  }
}

TEST(KernelsTest, TypedProductsApproximateTheFloatProduct) {
  const int64_t rows = 64, cols = 512;
  const auto w = Random(static_cast<size_t>(rows * cols), 3);
  const auto x = Random(static_cast<size_t>(cols), 4);
  const Weights exact = Make(GgmlType::kF32, w, rows, cols);
  std::vector<float> ref(static_cast<size_t>(rows));
  MatMul(exact.tensor, x.data(), 1, ref.data());
  double ref_norm = 0;
  for (float v : ref) ref_norm += v * v;
  // Relative RMS error bounds: F16 ~1e-3, BF16 ~1e-2, Q8_0 ~1e-2, Q4_0 ~1e-1 of the signal.
  for (auto [type, bound] : {std::pair{GgmlType::kF16, 2e-3},
                             {GgmlType::kBF16, 1e-2},
                             {GgmlType::kQ8_0, 1.5e-2},
                             {GgmlType::kQ4_0, 1.5e-1}}) {
    const Weights wt = Make(type, w, rows, cols);
    std::vector<float> got(static_cast<size_t>(rows));
    MatMul(wt.tensor, x.data(), 1, got.data());
    double err = 0;
    for (size_t i = 0; i < got.size(); ++i) err += (got[i] - ref[i]) * (got[i] - ref[i]);
    EXPECT_LT(std::sqrt(err / ref_norm), bound) << GgmlTypeName(static_cast<uint32_t>(type));
  }
}

TEST(KernelsTest, ThreadedMatMulEqualsSingleThreaded) {
  const int64_t rows = 300, cols = 1024, n = 5;
  const auto w = Random(static_cast<size_t>(rows * cols), 5);
  const auto x = Random(static_cast<size_t>(n * cols), 6);
  ThreadPool pool(3);
  for (GgmlType type : kTypes) {
    const Weights wt = Make(type, w, rows, cols);
    std::vector<float> a(static_cast<size_t>(rows * n)), b(a.size());
    MatMul(wt.tensor, x.data(), n, a.data());
    MatMul(wt.tensor, x.data(), n, b.data(), &pool);
    EXPECT_EQ(a, b) << GgmlTypeName(static_cast<uint32_t>(type));
  }
}

}  // namespace
}  // namespace llms::engine
