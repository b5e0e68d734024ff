// Tests of the shared report pieces: CDF sampling, rate points' JSON and the 90% crossing.
#include "core/report.h"

#include <gtest/gtest.h>

namespace llms {
namespace {

RatePoint Point(const std::string& policy, double rate, double attainment) {
  RatePoint p;
  p.policy = policy;
  p.rate = rate;
  p.summary.slo_attainment = attainment;
  return p;
}

TEST(ReportTest, SampleCdfEndsAtOneAndIsThinned) {
  std::vector<double> v;
  for (int i = 1000; i > 0; --i) v.push_back(i);
  const auto cdf = SampleCdf(v, 100);
  ASSERT_LE(cdf.size(), 102u);
  EXPECT_EQ(cdf.front().first, 1.0);
  EXPECT_EQ(cdf.back(), std::make_pair(1000.0, 1.0));
  for (size_t i = 1; i < cdf.size(); ++i) EXPECT_LE(cdf[i - 1].first, cdf[i].first);
}

TEST(ReportTest, RatePointsRoundTripThroughJson) {
  RatePoint p = Point("aegaeon", 2.5, 0.75);
  p.summary.conventional_attainment = 0.5;
  p.summary.goodput_rps = 1.25;
  p.summary.ttft_s.p50 = 0.5;
  p.summary.ttft_s.p99 = 3;
  p.summary.tpot_s.p50 = 0.05;
  p.summary.tpot_s.p99 = 0.2;
  p.summary.completed = 40;
  p.summary.failed = 2;
  nlohmann::json j;
  j["points"] = {RatePointJson(p), RatePointJson(Point("request-level", 1, 1))};
  auto parsed = ParseRatePoints(j);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_EQ(parsed->size(), 2u);
  const RatePoint& q = (*parsed)[0];
  EXPECT_EQ(q.policy, "aegaeon");
  EXPECT_EQ(q.rate, 2.5);
  EXPECT_EQ(q.summary.slo_attainment, 0.75);
  EXPECT_EQ(q.summary.conventional_attainment, 0.5);
  EXPECT_EQ(q.summary.goodput_rps, 1.25);
  EXPECT_EQ(q.summary.ttft_s.p99, 3);
  EXPECT_EQ(q.summary.tpot_s.p50, 0.05);
  EXPECT_EQ(q.summary.completed, 40);
  EXPECT_EQ(q.summary.failed, 2);
  EXPECT_EQ((*parsed)[1].policy, "request-level");
}

TEST(ReportTest, ParseRatePointsNamesWhatIsMissing) {
  EXPECT_FALSE(ParseRatePoints(nlohmann::json::array()).ok());
  nlohmann::json j;
  j["points"] = {RatePointJson(Point("a", 1, 1))};
  j["points"][0].erase("goodput_rps");
  auto parsed = ParseRatePoints(j);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.message().find("goodput_rps"), std::string::npos) << parsed.message();
}

TEST(ReportTest, AttainmentCrossingInterpolatesBetweenTheRatesAroundIt) {
  // Out of order on purpose: the crossing sorts by rate; other policies do not count.
  const std::vector<RatePoint> points = {Point("a", 4, 0.5), Point("a", 1, 1.0), Point("b", 3, 0.0),
                                         Point("a", 2, 0.95)};
  const Crossing c = AttainmentCrossing(points, "a", 0.9);
  EXPECT_EQ(c.last_above, 2.0);
  EXPECT_EQ(c.first_below, 4.0);
  ASSERT_TRUE(c.at);
  EXPECT_NEAR(*c.at, 2.0 + 2.0 * 0.05 / 0.45, 1e-12);

  const Crossing never = AttainmentCrossing({Point("a", 1, 1), Point("a", 2, 0.9)}, "a", 0.9);
  EXPECT_EQ(never.last_above, 2.0);
  EXPECT_FALSE(never.first_below);
  EXPECT_FALSE(never.at);

  const Crossing from_start = AttainmentCrossing({Point("a", 1, 0.2), Point("a", 2, 0.1)}, "a");
  EXPECT_FALSE(from_start.last_above);
  EXPECT_EQ(from_start.first_below, 1.0);
  EXPECT_FALSE(from_start.at);
}

}  // namespace
}  // namespace llms
