// Tests for sampling: greedy, the temperature distribution, top-k/top-p truncation, the
// repetition penalty and seed reproducibility.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace llms::engine {
namespace {

TEST(SamplerTest, GreedyPicksTheFirstMaximum) {
  Sampler s(SamplingParams{0.0f, 0, 1.0f, 1.0f, 1});
  const std::vector<float> logits = {0.1f, 2.0f, 2.0f, -1.0f};
  EXPECT_EQ(s.Sample(logits, {}), 1);
  EXPECT_EQ(Argmax(logits), 1);
}

TEST(SamplerTest, TemperatureFollowsTheSoftmax) {
  const std::vector<float> logits = {0.0f, std::log(2.0f),
                                     std::log(7.0f)};  // probabilities 0.1 0.2 0.7
  Sampler s(SamplingParams{1.0f, 0, 1.0f, 1.0f, 7});
  std::map<int, int> counts;
  for (int i = 0; i < 50000; ++i) ++counts[s.Sample(logits, {})];
  EXPECT_NEAR(counts[0] / 50000.0, 0.1, 0.01);
  EXPECT_NEAR(counts[2] / 50000.0, 0.7, 0.01);
}

TEST(SamplerTest, TopKAndTopPTruncate) {
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(7.0f)};
  Sampler k1(SamplingParams{1.0f, 1, 1.0f, 1.0f, 3});
  Sampler p(SamplingParams{1.0f, 0, 0.85f, 1.0f, 3});  // 0.7 + 0.2 reaches 0.85: token 0 is cut
  for (int i = 0; i < 2000; ++i) {
    EXPECT_EQ(k1.Sample(logits, {}), 2);
    EXPECT_NE(p.Sample(logits, {}), 0);
  }
}

TEST(SamplerTest, RepetitionPenaltyAndSeeds) {
  const std::vector<float> logits = {1.0f, 1.2f};
  Sampler pen(SamplingParams{0.0f, 0, 1.0f, 2.0f, 1});
  EXPECT_EQ(pen.Sample(logits, std::vector<int>{1}), 0);  // 1.2 / 2 < 1.0
  Sampler a(SamplingParams{1.0f, 0, 1.0f, 1.0f, 99}), b(SamplingParams{1.0f, 0, 1.0f, 1.0f, 99});
  const std::vector<float> flat(50, 0.0f);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.Sample(flat, {}), b.Sample(flat, {}));
}

}  // namespace
}  // namespace llms::engine
