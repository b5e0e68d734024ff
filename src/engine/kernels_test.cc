// Tests for the kernels: the AVX2 and AVX-512 kernels agree with the scalar reference for every
// type, a row's result does not depend on its batch, the quantized products approximate the float
// product, and threaded MatMul equals single-threaded.
#include "engine/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
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

const auto& kTypes = kAllGgmlTypes;

// The type's rows can be `cols` long (the K-quants need multiples of 256).
bool Fits(GgmlType type, int64_t cols) {
  return cols % TraitsOf(static_cast<uint32_t>(type))->block_values == 0;
}

// The SIMD kernels against the scalar reference for every type, over shapes that exercise each
// tail: weight rows not a multiple of the 4-row tile, odd block counts (a lone last block),
// columns not a multiple of the float step, and more activation rows than one tile.
void ExpectAgreesWithScalar(const DotKernels& simd) {
  struct Shape {
    int64_t rows, cols, n;
  };
  for (const Shape& s :
       {Shape{37, 320, 3}, Shape{70, 352, 6}, Shape{5, 32, 1}, Shape{9, 96, 9}, Shape{11, 512, 1},
        Shape{6, 352, 1}, Shape{3, 288, 1}, Shape{4, 384, 1}, Shape{5, 480, 1}, Shape{3, 224, 1},
        Shape{37, 768, 3}, Shape{6, 256, 5}, Shape{9, 1024, 1}}) {
    const auto w = Random(static_cast<size_t>(s.rows * s.cols), 1);
    const auto x = Random(static_cast<size_t>(s.n * s.cols), 2);
    for (GgmlType type : kTypes) {
      if (!Fits(type, s.cols)) continue;
      const Weights wt = Make(type, w, s.rows, s.cols);
      std::vector<float> a(static_cast<size_t>(s.rows * s.n)), b(a.size());
      MatMul(wt.tensor, x.data(), s.n, a.data(), nullptr, ScalarKernels());
      MatMul(wt.tensor, x.data(), s.n, b.data(), nullptr, simd);
      for (size_t i = 0; i < a.size(); ++i) {
        // Same products, different summation order: float rounding only.
        ASSERT_NEAR(a[i], b[i], 1e-4f * (1 + std::fabs(a[i])))
            << simd.name << " " << GgmlTypeName(static_cast<uint32_t>(type)) << " " << s.rows << "x"
            << s.cols << " n=" << s.n << " at " << i;
      }
    }
  }
}

// The attention kernels (scores over a KV block, the weighted sum of values) and the softmax
// against the scalar ones, over head sizes that exercise the vector tails and partial blocks, for
// 1 to 5 query heads sharing the block; and each head's results with others beside it equal its
// results alone, bit for bit.
void ExpectAttentionAgreesWithScalar(const DotKernels& simd) {
  const DotKernels& ref = ScalarKernels();
  for (int hs : {8, 20, 64, 80, 128}) {
    for (int count : {1, 7, 16}) {
      for (int heads : {1, 3, 4, 5}) {
        const int64_t stride = hs + 12;  // rows of a block are not contiguous
        const int64_t span = count + 3;  // each head's row of scores, padded
        const auto q = Random(static_cast<size_t>(hs * heads), 3);
        const auto k = Random(static_cast<size_t>(stride * count), 4);
        std::vector<float> a(static_cast<size_t>(span * heads)), b(a.size());
        ref.attn_scores(q.data(), heads, k.data(), stride, count, hs, 0.125f, a.data(), span);
        simd.attn_scores(q.data(), heads, k.data(), stride, count, hs, 0.125f, b.data(), span);
        for (int j = 0; j < heads; ++j) {
          std::vector<float> alone(static_cast<size_t>(count));
          simd.attn_scores(q.data() + j * hs, 1, k.data(), stride, count, hs, 0.125f, alone.data(),
                           count);
          for (int t = 0; t < count; ++t) {
            const size_t i = static_cast<size_t>(j * span + t);
            ASSERT_NEAR(a[i], b[i], 1e-5f * (1 + std::fabs(a[i])))
                << simd.name << " scores hs=" << hs << " heads=" << heads;
            ASSERT_EQ(alone[static_cast<size_t>(t)], b[i]) << simd.name << " head " << j;
          }
        }
        std::vector<float> sa = a, sb = a;
        for (int j = 0; j < heads; ++j) {
          ref.softmax(sa.data() + j * span, count);
          simd.softmax(sb.data() + j * span, count);
        }
        for (size_t i = 0; i < sa.size(); ++i) {
          ASSERT_NEAR(sa[i], sb[i], 1e-6f) << simd.name << " softmax n=" << count;
        }
        const auto v = Random(static_cast<size_t>(stride * count), 5);
        std::vector<float> oa(static_cast<size_t>(hs * heads), 0.5f), ob = oa;
        ref.attn_accumulate(sa.data(), span, heads, v.data(), stride, count, hs, oa.data());
        simd.attn_accumulate(sa.data(), span, heads, v.data(), stride, count, hs, ob.data());
        for (int j = 0; j < heads; ++j) {
          std::vector<float> alone(static_cast<size_t>(hs), 0.5f);
          simd.attn_accumulate(sa.data() + j * span, span, 1, v.data(), stride, count, hs,
                               alone.data());
          for (int i = 0; i < hs; ++i) {
            const size_t at = static_cast<size_t>(j * hs + i);
            ASSERT_NEAR(oa[at], ob[at], 1e-5f * (1 + std::fabs(oa[at])))
                << simd.name << " accumulate hs=" << hs << " heads=" << heads;
            ASSERT_EQ(alone[static_cast<size_t>(i)], ob[at]) << simd.name << " head " << j;
          }
        }
      }
    }
  }
  // A longer softmax (a row of scores over many positions), with large values.
  auto x = Random(1000, 6);
  for (auto& e : x) e *= 30;
  std::vector<float> xa = x, xb = x;
  ref.softmax(xa.data(), 1000);
  simd.softmax(xb.data(), 1000);
  for (size_t i = 0; i < xa.size(); ++i) ASSERT_NEAR(xa[i], xb[i], 1e-6f) << simd.name;
}

TEST(KernelsTest, Avx2AgreesWithScalar) {
  const DotKernels* avx2 = Avx2Kernels();
  if (!avx2) GTEST_SKIP() << "this CPU has no AVX2/FMA/F16C";
  ExpectAgreesWithScalar(*avx2);
  ExpectAttentionAgreesWithScalar(*avx2);
}

TEST(KernelsTest, Avx512AgreesWithScalar) {
  const DotKernels* avx512 = Avx512Kernels();
  if (!avx512) GTEST_SKIP() << "this CPU has no AVX-512 F/BW/VL/DQ/VNNI";
  ExpectAgreesWithScalar(*avx512);
  ExpectAttentionAgreesWithScalar(*avx512);
}

// The SIMD activation quantizers give the reference's scales exactly and its values up to the
// rounding of exact halves (nearest-even there, away from zero in the reference).
TEST(KernelsTest, SimdQuantizersMatchTheReference) {
  const int64_t n = 32 * 40;
  auto x = Random(static_cast<size_t>(n), 9);
  for (int i = 0; i < 32; ++i) x[static_cast<size_t>(64 + i)] = 0.0f;  // an all-zero block
  x[200] = 1e-30f;
  alignas(64) int8_t ref_q[n], q[n];
  float ref_d[n / 32], d[n / 32];
  ScalarKernels().quantize_q8(x.data(), n, ref_q, ref_d);
  for (const DotKernels* k : {Avx2Kernels(), Avx512Kernels()}) {
    if (!k) continue;
    k->quantize_q8(x.data(), n, q, d);
    for (int64_t b = 0; b < n / 32; ++b) EXPECT_EQ(ref_d[b], d[b]) << k->name << " block " << b;
    for (int64_t i = 0; i < n; ++i) EXPECT_LE(std::abs(ref_q[i] - q[i]), 1) << k->name << " " << i;
    EXPECT_EQ(std::memcmp(ref_q + 64, q + 64, 32), 0) << k->name;
  }
}

// A row's result does not depend on how many other rows share its call (batched decode equals
// decoding alone): row j of an n-row product equals the same row computed alone, bit for bit.
// Block counts 16, 10, 9, 11, 12, 15 and 7 cover the one-row kernel's eight-block steps and each of
// its tails (four, two and one blocks, alone and together, and rows shorter than one step).
TEST(KernelsTest, EachRowsResultIsIndependentOfTheBatch) {
  const int64_t rows = 45, n = 7;
  for (const int64_t cols : {512, 320, 288, 352, 384, 480, 224, 768}) {
    const auto w = Random(static_cast<size_t>(rows * cols), 7);
    const auto x = Random(static_cast<size_t>(n * cols), 8);
    for (const DotKernels* k : {&ScalarKernels(), Avx2Kernels(), Avx512Kernels()}) {
      if (!k) continue;
      for (GgmlType type : kTypes) {
        if (!Fits(type, cols)) continue;
        const Weights wt = Make(type, w, rows, cols);
        std::vector<float> all(static_cast<size_t>(rows * n)), one(static_cast<size_t>(rows));
        MatMul(wt.tensor, x.data(), n, all.data(), nullptr, *k);
        for (int64_t j = 0; j < n; ++j) {
          MatMul(wt.tensor, x.data() + j * cols, 1, one.data(), nullptr, *k);
          for (int64_t o = 0; o < rows; ++o)
            ASSERT_EQ(one[o], all[j * rows + o])
                << k->name << " cols " << cols << " " << j << " " << o;
        }
      }
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
  // Relative RMS error bounds, about twice what each type gives here (Q8_0 0.006, Q4_0 0.066,
  // Q4_1 0.064, Q5_0 0.029, Q5_1 0.034, Q2_K 0.22, Q3_K 0.12, Q4_K 0.056, Q5_K 0.036, Q6_K 0.014):
  // a wrong scale, minimum or bit layout is far outside them.
  for (auto [type, bound] : {std::pair{GgmlType::kF16, 2e-3},
                             {GgmlType::kBF16, 1e-2},
                             {GgmlType::kQ8_0, 1.5e-2},
                             {GgmlType::kQ4_0, 1.5e-1},
                             {GgmlType::kQ4_1, 1.3e-1},
                             {GgmlType::kQ5_0, 6e-2},
                             {GgmlType::kQ5_1, 7e-2},
                             {GgmlType::kQ2_K, 3.5e-1},
                             {GgmlType::kQ3_K, 2e-1},
                             {GgmlType::kQ4_K, 1e-1},
                             {GgmlType::kQ5_K, 6e-2},
                             {GgmlType::kQ6_K, 2.5e-2}}) {
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
    for (const int64_t nx : {int64_t{1}, n}) {  // the rows go out in dynamic chunks
      std::vector<float> a(static_cast<size_t>(rows * nx)), b(a.size());
      MatMul(wt.tensor, x.data(), nx, a.data());
      MatMul(wt.tensor, x.data(), nx, b.data(), &pool);
      EXPECT_EQ(a, b) << GgmlTypeName(static_cast<uint32_t>(type)) << " nx " << nx;
    }
  }
}

// A group of products (Q, K, V) split over threads in dynamic chunks that cross from one weight
// matrix to the next: each output equals its own product computed alone.
TEST(KernelsTest, ThreadedMatMulGroupEqualsEachProductAlone) {
  const int64_t cols = 1024;
  const int64_t rows[] = {300, 77, 77};
  ThreadPool pool(2);
  for (GgmlType type :
       {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kF16, GgmlType::kQ4_K, GgmlType::kQ5_1}) {
    std::vector<Weights> ws;
    for (int i = 0; i < 3; ++i) {
      ws.push_back(Make(type,
                        Random(static_cast<size_t>(rows[i] * cols), 20 + static_cast<uint64_t>(i)),
                        rows[i], cols));
    }
    for (const int64_t n : {int64_t{1}, int64_t{3}}) {
      const auto x = Random(static_cast<size_t>(n * cols), 30);
      std::vector<std::vector<float>> got(3), want(3);
      std::vector<MatMulJob> jobs;
      for (int i = 0; i < 3; ++i) {
        got[i].assign(static_cast<size_t>(rows[i] * n), -1.0f);
        want[i].resize(got[i].size());
        MatMul(ws[static_cast<size_t>(i)].tensor, x.data(), n, want[i].data());
        jobs.push_back({&ws[static_cast<size_t>(i)].tensor, got[i].data()});
      }
      MatMulGroup(jobs, x.data(), n, &pool);
      for (int i = 0; i < 3; ++i)
        EXPECT_EQ(got[i], want[i]) << GgmlTypeName(static_cast<uint32_t>(type)) << " job " << i;
    }
  }
}

}  // namespace
}  // namespace llms::engine
