// Tests for the samplers: each is checked with a KS test against its analytic CDF and for its
// first two moments, over the shape range the ServeGen data uses (bursty shapes well below 1).
#include "core/distributions.h"

#include <gtest/gtest.h>

#include "core/special_functions.h"
#include "core/stats.h"

namespace llms {
namespace {

constexpr int kN = 200000;
// KS critical value at alpha = 1e-4 is about 2.0 / sqrt(n).
const double kKsBound = 2.0 / std::sqrt(static_cast<double>(kN));

template <typename Sampler>
std::vector<double> Draw(Sampler sampler, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> xs(kN);
  for (auto& x : xs) x = sampler(rng);
  return xs;
}

TEST(DistributionsTest, ExponentialMatchesCdfAndMoments) {
  auto xs = Draw([](Rng& r) { return SampleExponential(r); }, 1);
  EXPECT_LT(KsStatistic(xs, [](double x) { return 1 - std::exp(-x); }), kKsBound);
  EXPECT_NEAR(Mean(xs), 1.0, 0.01);
  EXPECT_NEAR(CoefficientOfVariation(xs), 1.0, 0.02);
}

TEST(DistributionsTest, NormalMatchesCdfAndMoments) {
  auto xs = Draw([](Rng& r) { return SampleStandardNormal(r); }, 2);
  EXPECT_LT(KsStatistic(xs, NormalCdf), kKsBound);
  RunningStats s;
  for (double x : xs) s.Add(x);
  EXPECT_NEAR(s.mean(), 0.0, 0.01);
  EXPECT_NEAR(s.variance(), 1.0, 0.01);
}

class GammaShapeTest : public ::testing::TestWithParam<double> {};

TEST_P(GammaShapeTest, MatchesCdfAndMoments) {
  const double k = GetParam();
  auto xs = Draw([k](Rng& r) { return SampleGamma(k, r); }, 3);
  EXPECT_LT(KsStatistic(xs, [k](double x) { return GammaCdf(x, k, 1.0); }), kKsBound)
      << "shape " << k;
  EXPECT_NEAR(Mean(xs) / k, 1.0, 0.03);
  EXPECT_NEAR(CoefficientOfVariation(xs), 1.0 / std::sqrt(k), 0.05 / std::sqrt(k));
}
INSTANTIATE_TEST_SUITE_P(Shapes, GammaShapeTest, ::testing::Values(0.2, 0.5, 1.0, 2.5, 20.0));

class WeibullShapeTest : public ::testing::TestWithParam<double> {};

TEST_P(WeibullShapeTest, MatchesCdfAndMoments) {
  const double c = GetParam();
  auto xs = Draw([c](Rng& r) { return SampleWeibull(c, r); }, 4);
  EXPECT_LT(KsStatistic(xs, [c](double x) { return WeibullCdf(x, c, 1.0); }), kKsBound)
      << "shape " << c;
  EXPECT_NEAR(Mean(xs) / WeibullMean(c, 1.0), 1.0, 0.05);
  if (c >= 0.7) {
    EXPECT_NEAR(CoefficientOfVariation(xs), WeibullCv(c), 0.05 * WeibullCv(c));
  }
}
INSTANTIATE_TEST_SUITE_P(Shapes, WeibullShapeTest, ::testing::Values(0.4, 0.7, 1.0, 3.0));

TEST(DistributionsTest, WeibullShapeForCvInvertsCv) {
  for (double cv : {0.3, 1.0, 2.0, 5.0}) {
    EXPECT_NEAR(WeibullCv(WeibullShapeForCv(cv)), cv, 1e-9 * cv);
  }
  EXPECT_NEAR(WeibullShapeForCv(1.0), 1.0, 1e-9);  // Weibull(1) is exponential
}

}  // namespace
}  // namespace llms
