// Tests for the MLE fits: parameters recovered from large samples, and the likelihood ranking
// that chooses the law that generated the data.
#include "core/distribution_fit.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace llms
