// Tests for the statistics helpers on hand-worked cases.
#include "core/stats.h"

#include <gtest/gtest.h>

namespace llms {
namespace {

TEST(StatsTest, RunningStatsMatchesHandComputation) {
  RunningStats s;
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) s.Add(x);
  EXPECT_DOUBLE_EQ(s.mean(), 5.0);
  EXPECT_DOUBLE_EQ(s.variance(), 4.0);
  EXPECT_DOUBLE_EQ(s.cv(), 0.4);
}

TEST(StatsTest, QuantileInterpolates) {
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({5, 1, 3}, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(Quantile({}, 0.5), 0.0);
}

TEST(StatsTest, KsTwoSampleHandlesTiesAndDisjointSamples) {
  EXPECT_DOUBLE_EQ(KsTwoSample({1, 2, 3}, {1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(KsTwoSample({1, 1, 1}, {2, 2}), 1.0);
  // F_a(1) = 0.5, F_b(1) = 0.25 -> 0.25
  EXPECT_DOUBLE_EQ(KsTwoSample({1, 2}, {1, 2, 2, 2}), 0.25);
}

TEST(StatsTest, KsOneSampleOnPerfectGrid) {
  std::vector<double> xs;
  for (int i = 0; i < 100; ++i) xs.push_back((i + 0.5) / 100);
  EXPECT_NEAR(KsStatistic(xs, [](double x) { return x; }), 0.005, 1e-12);
}

TEST(StatsTest, IndexOfDispersionOfRegularAndClumpedStreams) {
  std::vector<double> regular;
  for (int i = 0; i < 100; ++i) regular.push_back(i + 0.5);
  EXPECT_DOUBLE_EQ(IndexOfDispersion(regular, 10, 100), 0.0);
  std::vector<double> clumped(100, 5.0);  // everything in the first bin of ten
  EXPECT_DOUBLE_EQ(IndexOfDispersion(clumped, 10, 100), 90.0);  // var 900 / mean 10
}

}  // namespace
TEST(StatsTest, SpearmanRanksWithTies) {
  // Ranks (1, 2.5, 2.5, 4, 5) and (2, 3, 4.5, 4.5, 1): Pearson on them is -1.25 / 9.5 (what
  // scipy.stats.spearmanr gives).
  const std::vector<double> x{1, 2, 2, 3, 10}, y{5, 6, 7, 7, 1};
  EXPECT_NEAR(SpearmanCorrelation(x, y), -1.25 / 9.5, 1e-12);
  const std::vector<double> up{1, 2, 3, 4}, sq{1, 4, 9, 100};
  EXPECT_DOUBLE_EQ(SpearmanCorrelation(up, sq), 1.0);
  const std::vector<double> flat{2, 2, 2, 2};
  EXPECT_EQ(SpearmanCorrelation(up, flat), 0.0);
}

}  // namespace llms
