// Tests for EmpiricalDistribution: construction checks, the guide-table quantile against a plain
// binary search, the reference (unclipped) lookup, sampling accuracy and compression.
#include "servegen/empirical_distribution.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/rng.h"

namespace llms::servegen {
namespace {

TEST(EmpiricalDistributionTest, RejectsBadProbabilities) {
  EXPECT_NE(EmpiricalDistribution::FromPairs({}).message().find("empty"), std::string::npos);
  EXPECT_NE(EmpiricalDistribution::FromPairs({{1, 0.5}, {2, 0.4}}).message().find("sum to 0.9"),
            std::string::npos);
  EXPECT_NE(EmpiricalDistribution::FromPairs({{1, -0.5}, {2, 1.5}}).message().find(">= 0"),
            std::string::npos);
  EXPECT_TRUE(EmpiricalDistribution::FromPairs({{1, 0.5}, {2, 0.4999995}}).ok());  // within 1e-6
}

TEST(EmpiricalDistributionTest, SortsAndMergesDuplicates) {
  auto d = *EmpiricalDistribution::FromPairs({{3, 0.25}, {1, 0.25}, {3, 0.5}});
  EXPECT_EQ(d.values(), (std::vector<double>{1, 3}));
  EXPECT_DOUBLE_EQ(d.probabilities()[1], 0.75);
  EXPECT_DOUBLE_EQ(d.Mean(), 2.5);
  EXPECT_DOUBLE_EQ(d.Cdf(2), 0.25);
}

TEST(EmpiricalDistributionTest, GuideTableQuantileEqualsBinarySearch) {
  std::vector<std::pair<double, double>> pairs;
  Rng rng(1);
  double total = 0;
  for (int v = 0; v < 997; ++v) {
    const double p = (v % 7 == 0) ? 0.0 : rng.NextOpenUnit();  // zero-probability values too
    pairs.emplace_back(v, p);
    total += p;
  }
  for (auto& [v, p] : pairs) p /= total;
  auto d = *EmpiricalDistribution::FromPairs(pairs);
  std::vector<double> cdf;
  double acc = 0;
  for (double p : d.probabilities()) cdf.push_back(acc += p);
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.NextOpenUnit();
    const size_t idx = std::min<size_t>(
        cdf.size() - 1, std::lower_bound(cdf.begin(), cdf.end(), u / acc) - cdf.begin());
    ASSERT_EQ(d.Quantile(u), d.values()[idx]) << "u=" << u;
  }
}

TEST(EmpiricalDistributionTest, QuantileSamplingMatchesProbabilities) {
  auto d = *EmpiricalDistribution::FromPairs({{10, 0.1}, {20, 0.6}, {30, 0.3}});
  Rng rng(2);
  std::map<double, int> counts;
  for (int i = 0; i < 100000; ++i) ++counts[d.Quantile(rng.NextOpenUnit())];
  EXPECT_NEAR(counts[10] / 1e5, 0.1, 0.005);
  EXPECT_NEAR(counts[20] / 1e5, 0.6, 0.005);
  EXPECT_NEAR(counts[30] / 1e5, 0.3, 0.005);
}

TEST(EmpiricalDistributionTest, ReferenceIndexRunsPastTheEndLikeNumpy) {
  // Probabilities summing to slightly under 1: numpy's searchsorted on the cumsum returns len(pdf)
  // for u above the total. The reference generator does not clip; its compat mode must not either.
  auto d = *EmpiricalDistribution::FromPairs({{5, 0.5}, {6, 0.4999995}});
  EXPECT_EQ(d.ReferenceIndex(0.25), 0u);
  EXPECT_EQ(d.ReferenceIndex(0.75), 1u);
  EXPECT_EQ(d.ReferenceIndex(0.9999999), 2u);
  EXPECT_EQ(d.Quantile(0.9999999), 6.0);  // the default lookup stays in range
}

TEST(EmpiricalDistributionTest, CompressionKeepsTheDistributionClose) {
  std::vector<std::pair<double, double>> pairs;
  for (int v = 1; v <= 5000; ++v) pairs.emplace_back(v, 1.0 / 5000);
  auto d = *EmpiricalDistribution::FromPairs(pairs);
  auto c = d.Compressed(64, true);
  EXPECT_LE(c.size(), 64u);
  EXPECT_NEAR(c.Mean(), d.Mean(), d.Mean() * 0.01);
  for (double x : {100.0, 1000.0, 2500.0, 4900.0}) EXPECT_NEAR(c.Cdf(x), d.Cdf(x), 1.0 / 64 + 1e-9);
  EXPECT_EQ(d.Compressed(10000, true).size(), d.size());
}

}  // namespace
}  // namespace llms::servegen
