// Tests of the fitted latency models: exact recovery of known coefficients, the predictor built
// from measured figures, and the latency profile's JSON (round trip and clear errors).
#include "serving/latency_fit.h"

#include <gtest/gtest.h>

#include <fstream>

namespace llms::serving {
namespace {

TEST(LatencyFitTest, RecoversKnownCoefficients) {
  std::vector<ProfileRow> rows;
  for (int len : {16, 64, 256, 1024}) {
    for (int bs : {1, 4, 16}) {
      ProfileRow r{"m", "g", len, bs, 0, 0};
      const double s1 = static_cast<double>(bs) * len, s2 = s1 * len;
      r.prefill_s = 0.01 + 2e-5 * s1 + 3e-9 * s2;
      r.decode_step_s = 0.02 + 1e-7 * s1 + 4e-4 * bs;
      rows.push_back(r);
    }
  }
  const auto fits = FitLatencyModels(rows);
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_NEAR(fits[0].prefill.a, 0.01, 1e-9);
  EXPECT_NEAR(fits[0].prefill.b, 2e-5, 1e-12);
  EXPECT_NEAR(fits[0].prefill.c, 3e-9, 1e-15);
  EXPECT_NEAR(fits[0].decode.a, 0.02, 1e-9);
  EXPECT_NEAR(fits[0].decode.b, 1e-7, 1e-13);
  EXPECT_NEAR(fits[0].decode.c, 4e-4, 1e-10);
  EXPECT_LT(fits[0].prefill_error.max_rel, 1e-9);
  EXPECT_NEAR(fits[0].decode_error.r2, 1.0, 1e-9);
  const int lengths[] = {100, 300};
  EXPECT_NEAR(fits[0].prefill.Seconds(lengths), 0.01 + 2e-5 * 400 + 3e-9 * (1e4 + 9e4), 1e-12);
  EXPECT_FALSE(LeastSquares3({{1, 2, 3}, {2, 4, 6}}, {1, 2}).has_value());  // rank deficient
}

ModelLatency Example() {
  ModelLatency m;
  m.model = "qwen";
  m.device = "cpu";
  m.prefill = {0.03, 4e-3, 1e-6};
  m.decode = {0.02, 1e-5, 5e-3};
  m.prefill_error = {20, 0.99, 0.001, 0.02, 0.05};
  m.decode_error = {20, 0.95, 0.002, 0.04, 0.09};
  m.load_s = 0.025;
  m.kv_move_bytes_per_s = 1.5e10;
  m.weight_bytes = 2.8e8;
  m.kv_bytes_per_token = 24576;
  return m;
}

TEST(LatencyFitTest, TheMeasuredPredictorChargesTheMeasuredFigures) {
  const auto p = MeasuredPredictor(Example());
  const int lengths[] = {10, 20};
  EXPECT_DOUBLE_EQ(p->PrefillSeconds(lengths), 0.03 + 4e-3 * 30 + 1e-6 * 500);
  EXPECT_DOUBLE_EQ(p->DecodeSeconds(1000, 4), 0.02 + 1e-5 * 1000 + 5e-3 * 4);
  EXPECT_DOUBLE_EQ(p->LoadSeconds(), 0.025);
  EXPECT_DOUBLE_EQ(p->KvMoveSeconds(3e9), 0.2);
  // A fit extrapolated below zero still charges a positive time.
  ModelLatency odd = Example();
  odd.decode = {-1, 0, 0};
  EXPECT_GT(MeasuredPredictor(odd)->DecodeSeconds(0, 1), 0);
}

TEST(LatencyFitTest, AProfileRoundTripsThroughJson) {
  const std::string path = ::testing::TempDir() + "/profile.json";
  ModelLatency other = Example();
  other.model = "llama";
  other.decode.c = 9e-3;
  std::ofstream(path) << LatencyProfileJson({Example(), other});
  auto read = ReadLatencyProfile(path);
  ASSERT_TRUE(read.ok()) << read.message();
  ASSERT_EQ(read->size(), 2u);
  const ModelLatency& m = (*read)[0];
  const ModelLatency e = Example();
  EXPECT_EQ(m.model, "qwen");
  EXPECT_EQ(m.device, "cpu");
  EXPECT_DOUBLE_EQ(m.prefill.c, e.prefill.c);
  EXPECT_DOUBLE_EQ(m.decode.a, e.decode.a);
  EXPECT_EQ(m.prefill_error.points, 20);
  EXPECT_DOUBLE_EQ(m.decode_error.max_rel, 0.09);
  EXPECT_DOUBLE_EQ(m.load_s, e.load_s);
  EXPECT_DOUBLE_EQ(m.kv_move_bytes_per_s, e.kv_move_bytes_per_s);
  EXPECT_DOUBLE_EQ(m.weight_bytes, e.weight_bytes);
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token, e.kv_bytes_per_token);
  EXPECT_EQ((*read)[1].model, "llama");
  EXPECT_DOUBLE_EQ((*read)[1].decode.c, 9e-3);
}

TEST(LatencyFitTest, BadProfilesSayWhatIsWrongAndHowToMakeOne) {
  EXPECT_EQ(ReadLatencyProfile("/nonexistent/p.json").status().code(), StatusCode::kNotFound);
  struct Case {
    std::string text, error;
  } cases[] = {
      {"not json", "expected {\"models\""},
      {"{\"models\": []}", "no models"},
      {"{\"models\": [{\"model\": \"m\", \"prefill\": {\"a\": 1, \"b\": 1, \"c\": 1}}]}", "decode"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = ::testing::TempDir() + "/bad" + std::to_string(i++) + ".json";
    std::ofstream(path) << c.text;
    auto r = ReadLatencyProfile(path);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.message().find(c.error), std::string::npos) << r.message();
    EXPECT_NE(r.message().find("aegaeon latency --measure"), std::string::npos) << r.message();
  }
}

// Steps that cost `prefill`, `decode` and `load` times what `m` predicts (with one outlier each,
// which the median ignores).
std::vector<StepRecord> ServedSteps(const ModelLatency& m, const std::string& name, double prefill,
                                    double decode, double load) {
  std::vector<StepRecord> steps;
  for (int i = 0; i < 9; ++i) {
    const double spread = i == 0 ? 5.0 : 1.0 + 0.001 * i;  // one slow outlier
    StepRecord p;
    p.kind = ActionKind::kPrefill;
    p.model = name;
    p.batch = 1 + i % 3;
    p.tokens = 40 * p.batch;
    p.sum_sq = 1600 * p.batch;
    p.seconds = prefill * spread *
                (m.prefill.a + m.prefill.b * 40.0 * p.batch + m.prefill.c * 1600.0 * p.batch);
    steps.push_back(p);
    StepRecord d;
    d.kind = ActionKind::kDecode;
    d.model = name;
    d.batch = 1 + i;
    d.tokens = 100 * d.batch;
    d.seconds = decode * spread * m.decode.Seconds(d.tokens, d.batch);
    steps.push_back(d);
    StepRecord s;
    s.kind = ActionKind::kSwitch;
    s.model = name;
    s.from_model = i % 2 ? "other" : "";
    s.seconds = load * spread * m.load_s;
    steps.push_back(s);
  }
  return steps;
}

TEST(LatencyFitTest, CalibrationScalesEachFigureByWhatServingCost) {
  const ModelLatency m = Example();
  auto steps = ServedSteps(m, "qwen", 1.1, 1.25, 2.0);
  // A swap of KV only loads no weights: it does not count as a load.
  StepRecord swap;
  swap.kind = ActionKind::kSwitch;
  swap.model = swap.from_model = "qwen";
  swap.seconds = 100;
  steps.push_back(swap);
  // A model the profile lacks is counted, not matched to another.
  StepRecord stranger = steps[1];
  stranger.model = "llama";
  stranger.weight_bytes = 1;
  steps.push_back(stranger);
  const auto cal = CalibrateProfile({m}, steps);
  ASSERT_TRUE(cal.ok()) << cal.message();
  ASSERT_EQ(cal->entries.size(), 1u);
  const CalibrationEntry& e = cal->entries[0];
  EXPECT_EQ(e.prefills, 9);
  EXPECT_EQ(e.decodes, 9);
  EXPECT_EQ(e.loads, 9);
  EXPECT_NEAR(e.prefill_ratio, 1.1, 0.01);
  EXPECT_NEAR(e.decode_ratio, 1.25, 0.01);
  EXPECT_NEAR(e.load_ratio, 2.0, 0.02);
  EXPECT_EQ(cal->unmatched_steps, 1);
  const ModelLatency& c = cal->profile[0];
  EXPECT_NEAR(c.decode.Seconds(1000, 4), e.decode_ratio * m.decode.Seconds(1000, 4), 1e-12);
  EXPECT_NEAR(c.prefill.a, e.prefill_ratio * m.prefill.a, 1e-12);
  EXPECT_NEAR(c.prefill.c, e.prefill_ratio * m.prefill.c, 1e-15);
  EXPECT_NEAR(c.load_s, e.load_ratio * m.load_s, 1e-12);
  EXPECT_EQ(c.kv_move_bytes_per_s, m.kv_move_bytes_per_s);
}

TEST(LatencyFitTest, CalibrationMatchesBySizeAndKeepsFiguresWithFewSteps) {
  const ModelLatency m = Example();
  // Served under another name, found by its size; only 4 decode steps: too few to scale by.
  auto steps = ServedSteps(m, "served-name", 1.5, 1.5, 1.5);
  std::vector<StepRecord> few;
  int decodes = 0;
  for (StepRecord s : steps) {
    s.weight_bytes = m.weight_bytes;
    s.kv_bytes_per_token = m.kv_bytes_per_token;
    if (s.kind == ActionKind::kDecode && ++decodes > 4) continue;
    few.push_back(s);
  }
  const auto cal = CalibrateProfile({m}, few);
  ASSERT_TRUE(cal.ok()) << cal.message();
  ASSERT_EQ(cal->entries.size(), 1u);
  EXPECT_EQ(cal->entries[0].model, "qwen");
  EXPECT_EQ(cal->entries[0].decodes, 4);
  EXPECT_EQ(cal->entries[0].decode_ratio, 1.0);
  EXPECT_EQ(cal->profile[0].decode.a, m.decode.a);
  EXPECT_NEAR(cal->entries[0].prefill_ratio, 1.5, 0.01);
  // Nothing matches: an error that says what to do.
  for (auto& s : few) s.weight_bytes = 7;
  const auto none = CalibrateProfile({m}, few);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("profile the server planned with"), std::string::npos);
  EXPECT_FALSE(CalibrateProfile({m}, {}).ok());
}

}  // namespace
}  // namespace llms::serving
