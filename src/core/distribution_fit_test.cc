// Tests for the MLE fits: parameters recovered from large samples, and the likelihood ranking
// that chooses the law that generated the data.
#include "core/distribution_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/distributions.h"

namespace llms {
namespace {

std::vector<double> GammaSample(double k, double theta, int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> xs(n);
  for (auto& x : xs) x = SampleGamma(k, rng) * theta;
  return xs;
}

std::vector<double> WeibullSample(double c, double lambda, int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> xs(n);
  for (auto& x : xs) x = SampleWeibull(c, rng) * lambda;
  return xs;
}

TEST(DistributionFitTest, GammaRecoversParameters) {
  for (double k : {0.3, 1.0, 4.0}) {
    const auto xs = GammaSample(k, 2.5, 50000, 11);
    const auto fit = FitGamma(xs);
    ASSERT_TRUE(fit.ok);
    EXPECT_NEAR(fit.shape / k, 1.0, 0.03) << "shape " << k;
    EXPECT_NEAR(fit.scale / 2.5, 1.0, 0.04) << "shape " << k;
  }
}

TEST(DistributionFitTest, WeibullRecoversParameters) {
  for (double c : {0.4, 1.0, 3.0}) {
    const auto xs = WeibullSample(c, 0.7, 50000, 12);
    const auto fit = FitWeibull(xs);
    ASSERT_TRUE(fit.ok);
    EXPECT_NEAR(fit.shape / c, 1.0, 0.02) << "shape " << c;
    EXPECT_NEAR(fit.scale / 0.7, 1.0, 0.03) << "shape " << c;
  }
}

TEST(DistributionFitTest, LikelihoodPrefersTheGeneratingLaw) {
  const auto g = GammaSample(0.3, 1.0, 20000, 13);
  EXPECT_GT(FitGamma(g).log_likelihood, FitWeibull(g).log_likelihood);
  const auto w = WeibullSample(3.0, 1.0, 20000, 14);
  EXPECT_GT(FitWeibull(w).log_likelihood, FitGamma(w).log_likelihood);
}

TEST(DistributionFitTest, DegenerateSamplesAreRejected) {
  EXPECT_FALSE(FitGamma(std::vector<double>{1.0}).ok);
  EXPECT_FALSE(FitGamma(std::vector<double>{2.0, 2.0, 2.0}).ok);
  EXPECT_FALSE(FitWeibull(std::vector<double>{}).ok);
}

TEST(DistributionFitTest, CensoredFitRecoversShapeDespiteRounding) {
  // Gamma(0.15) gaps (mean 15 ms) rounded to 10 us: a quarter of them become 0. The censored fit
  // recovers the shape; treating the zeros as exact values at the resolution would not.
  const double k = 0.15, theta = 0.1, res = 1e-5;
  const auto xs = GammaSample(k, theta, 40000, 15);
  std::vector<double> exact;
  size_t censored = 0;
  for (double x : xs) {
    const double rounded = std::round(x / res) * res;
    if (rounded < res / 2)
      ++censored;
    else
      exact.push_back(rounded);
  }
  ASSERT_GT(censored, xs.size() / 10);
  const auto fit = FitGammaCensored(exact, censored, res);
  ASSERT_TRUE(fit.ok);
  EXPECT_NEAR(fit.shape / k, 1.0, 0.06);
  EXPECT_NEAR(fit.scale / theta, 1.0, 0.1);
  std::vector<double> clamped = exact;
  clamped.insert(clamped.end(), censored, res);
  EXPECT_GT(std::fabs(FitGamma(clamped).shape / k - 1.0), 0.2);  // the naive fit is far off
  const auto w = FitWeibullCensored(exact, censored, res);
  EXPECT_TRUE(w.ok);
  EXPECT_GT(fit.log_likelihood,
            w.log_likelihood);  // and the censored likelihoods rank the laws right
}

TEST(DistributionFitTest, CensoredFitWithoutCensoringIsThePlainFit) {
  const auto xs = GammaSample(2.0, 1.0, 1000, 16);
  EXPECT_DOUBLE_EQ(FitGammaCensored(xs, 0, 1e-3).shape, FitGamma(xs).shape);
  EXPECT_DOUBLE_EQ(FitWeibullCensored(xs, 0, 1e-3).shape, FitWeibull(xs).shape);
}

}  // namespace
}  // namespace llms
