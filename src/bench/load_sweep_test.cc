// Tests of the load sweep's outputs on made-up points: the JSON (points, crossings, predicted),
// the page (one chart per metric, predicted lines dashed), the measured-against-predicted table
// and the goodput comparison at the highest rate; and a server that cannot start.
#include "bench/load_sweep.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/server_launcher.h"

namespace llms::bench {
namespace {

RatePoint Point(const std::string& policy, double rate, double attainment, double goodput) {
  RatePoint p;
  p.policy = policy;
  p.rate = rate;
  p.summary.slo_attainment = attainment;
  p.summary.conventional_attainment = attainment / 2;
  p.summary.goodput_rps = goodput;
  p.summary.completed = 10;
  return p;
}

const std::vector<RatePoint> kMeasured = {
    Point("aegaeon", 1, 1.0, 1.0),       Point("aegaeon", 2, 0.95, 1.9),
    Point("aegaeon", 4, 0.6, 2.0),       Point("request-level", 1, 1.0, 1.0),
    Point("request-level", 2, 0.7, 1.2), Point("request-level", 4, 0.3, 0.5)};
const std::vector<RatePoint> kPredicted = {Point("aegaeon", 1, 1.0, 1.0),
                                           Point("aegaeon", 4, 0.68, 2.2),
                                           Point("request-level", 4, 0.25, 0.4)};

const SweepRecord kSweep = {kMeasured, false, "a <note>"};
const std::vector<Prediction> kPredictions = {{"predicted", "p.json", kPredicted},
                                              {"calibrated", "", {Point("aegaeon", 4, 0.5, 1.5)}}};

TEST(LoadSweepTest, JsonHasThePointsAndWhereEachPolicyFallsBelow90) {
  const nlohmann::json j = nlohmann::json::parse(LoadSweepJson(kSweep, kPredictions));
  EXPECT_EQ(j["rate_unit"], "requests per second");
  EXPECT_EQ(j["note"], "a <note>");
  ASSERT_EQ(j["points"].size(), 6u);
  EXPECT_EQ(j["points"][2]["policy"], "aegaeon");
  EXPECT_EQ(j["points"][2]["rate"], 4);
  EXPECT_EQ(j["points"][2]["goodput_rps"], 2.0);
  EXPECT_EQ(j["below_90"]["aegaeon"]["last_at_or_above"], 2);
  EXPECT_EQ(j["below_90"]["aegaeon"]["first_below"], 4);
  EXPECT_NEAR(j["below_90"]["aegaeon"]["crossing"].get<double>(), 2 + 2 * 0.05 / 0.35, 1e-9);
  EXPECT_EQ(j["below_90"]["request-level"]["last_at_or_above"], 1);
  ASSERT_EQ(j["predictions"].size(), 2u);
  EXPECT_EQ(j["predictions"][0]["label"], "predicted");
  EXPECT_EQ(j["predictions"][0]["source"], "p.json");
  ASSERT_EQ(j["predictions"][0]["points"].size(), 3u);
  EXPECT_TRUE(j["predictions"][0]["below_90"]["request-level"]["last_at_or_above"].is_null());
  EXPECT_EQ(j["predictions"][1]["points"][0]["slo_attainment"], 0.5);
  // Without a prediction there is no predictions section.
  EXPECT_FALSE(
      nlohmann::json::parse(LoadSweepJson({kMeasured, true, ""}, {})).contains("predictions"));
}

TEST(LoadSweepTest, ASweepReadsBackToDrawItAgain) {
  const auto back = ParseLoadSweep(nlohmann::json::parse(LoadSweepJson(kSweep, kPredictions)));
  ASSERT_TRUE(back.ok()) << back.message();
  ASSERT_EQ(back->points.size(), kMeasured.size());
  EXPECT_EQ(back->points[4].policy, "request-level");
  EXPECT_EQ(back->points[4].summary.goodput_rps, 1.2);
  EXPECT_FALSE(back->concurrency);
  EXPECT_EQ(back->note, "a <note>");
  EXPECT_TRUE(
      ParseLoadSweep(nlohmann::json::parse(LoadSweepJson({kMeasured, true, ""}, {})))->concurrency);
  EXPECT_FALSE(ParseLoadSweep(nlohmann::json::parse(R"({"rate_unit": "x"})")).ok());
}

TEST(LoadSweepTest, ThePageDrawsEveryMetricWithThePredictionDashed) {
  const std::string html = LoadSweepHtml(kSweep, kPredictions);
  int svgs = 0;
  for (size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++svgs;
  EXPECT_EQ(svgs, 5);
  EXPECT_NE(html.find("a &lt;note&gt;"), std::string::npos);
  EXPECT_NE(html.find("aegaeon (predicted)"), std::string::npos);
  EXPECT_NE(html.find("aegaeon (calibrated)"), std::string::npos);
  EXPECT_NE(html.find("the simulator's prediction (p.json)"), std::string::npos);
  EXPECT_NE(html.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(html.find("falls below 90% at about 2.29 req/s"), std::string::npos);
  EXPECT_EQ(LoadSweepHtml({kMeasured, false, ""}, {}).find("(predicted)"), std::string::npos);
}

TEST(LoadSweepTest, CrossingsSayWhereEachPolicyFallsBelow90) {
  EXPECT_EQ(
      LoadSweepCrossings(kSweep),
      "aegaeon: SLO attainment falls below 90% at about 2.29 req/s (between 2 and 4)\n"
      "request-level: SLO attainment falls below 90% at about 1.33 req/s (between 1 and 2)\n");
  EXPECT_EQ(LoadSweepCrossings({{Point("x", 1, 0.95, 1)}, true, ""}),
            "x: SLO attainment stays at or above 90% up to 1 requests in flight\n");
}

TEST(LoadSweepTest, ComparisonPairsTheSamePolicyAndRate) {
  const std::string cmp = LoadSweepComparison(kMeasured, kPredicted);
  // Three pairs: aegaeon at 1 and 4, request-level at 4; the largest gap is 8 points.
  int rows = 0;
  for (char c : cmp) rows += c == '\n';
  EXPECT_EQ(rows, 1 + 3 + 1) << cmp;
  EXPECT_NE(cmp.find("+8.0"), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("within 8.0 percentage points"), std::string::npos) << cmp;
  EXPECT_EQ(LoadSweepComparison(kMeasured, {Point("other", 1, 1, 1)}), "");
}

TEST(LoadSweepTest, GoodputAtTheHighestRateComparesEachPolicyWithTheFirst) {
  EXPECT_EQ(GoodputAtHighestRate(kMeasured),
            "goodput at the highest rate (4): aegaeon 2.00 req/s, request-level 0.50 req/s; "
            "aegaeon / request-level = 4.00x\n");
  EXPECT_EQ(GoodputAtHighestRate({Point("a", 1, 1, 1)}), "");
}

TEST(LoadSweepTest, AServerThatExitsBeforeListeningIsAnErrorWithItsLog) {
  const std::string log = ::testing::TempDir() + "/launcher.log";
  auto r = ServerLauncher::Start({"/bin/sh", "-c", "echo no model here >&2; exit 3"}, log, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("no model here"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace llms::bench
