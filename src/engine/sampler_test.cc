// Tests for sampling: greedy, the temperature distribution, top-k/top-p truncation, the
// repetition penalty, OpenAI's frequency and presence penalties, the logit bias, seed
// reproducibility, and log-probabilities.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "core/rng.h"

namespace llms::engine {
namespace {

SamplingParams Params(float temperature, int top_k, float top_p, float repetition, uint64_t seed) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  p.repetition_penalty = repetition;
  p.seed = seed;
  return p;
}

TEST(SamplerTest, GreedyPicksTheFirstMaximum) {
  Sampler s(Params(0.0f, 0, 1.0f, 1.0f, 1));
  const std::vector<float> logits = {0.1f, 2.0f, 2.0f, -1.0f};
  EXPECT_EQ(s.Sample(logits, {}), 1);
  EXPECT_EQ(Argmax(logits), 1);
}

TEST(SamplerTest, TemperatureFollowsTheSoftmax) {
  const std::vector<float> logits = {0.0f, std::log(2.0f),
                                     std::log(7.0f)};  // probabilities 0.1 0.2 0.7
  Sampler s(Params(1.0f, 0, 1.0f, 1.0f, 7));
  std::map<int, int> counts;
  for (int i = 0; i < 50000; ++i) ++counts[s.Sample(logits, {})];
  EXPECT_NEAR(counts[0] / 50000.0, 0.1, 0.01);
  EXPECT_NEAR(counts[2] / 50000.0, 0.7, 0.01);
}

TEST(SamplerTest, TopKAndTopPTruncate) {
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(7.0f)};
  Sampler k1(Params(1.0f, 1, 1.0f, 1.0f, 3));
  Sampler p(Params(1.0f, 0, 0.85f, 1.0f, 3));  // 0.7 + 0.2 reaches 0.85: token 0 is cut
  for (int i = 0; i < 2000; ++i) {
    EXPECT_EQ(k1.Sample(logits, {}), 2);
    EXPECT_NE(p.Sample(logits, {}), 0);
  }
}

TEST(SamplerTest, RepetitionPenaltyAndSeeds) {
  const std::vector<float> logits = {1.0f, 1.2f};
  Sampler pen(Params(0.0f, 0, 1.0f, 2.0f, 1));
  EXPECT_EQ(pen.Sample(logits, std::vector<int>{1}), 0);  // 1.2 / 2 < 1.0
  Sampler a(Params(1.0f, 0, 1.0f, 1.0f, 99)), b(Params(1.0f, 0, 1.0f, 1.0f, 99));
  const std::vector<float> flat(50, 0.0f);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.Sample(flat, {}), b.Sample(flat, {}));
}

// Once per distinct token of the last repeat_last_n tokens, as llama.cpp and Hugging Face apply
// it: logits [3, 2], penalty 1.3, context {0, 0, 0}: 3 / 1.3 = 2.31 > 2, so token 0 (compounded
// per occurrence it would be 3 / 1.3^3 = 1.37 and pick 1).
TEST(SamplerTest, RepetitionPenaltyOncePerDistinctTokenInTheWindow) {
  const std::vector<float> logits = {3.0f, 2.0f};
  Sampler once(Params(0.0f, 0, 1.0f, 1.3f, 1));
  EXPECT_EQ(once.Sample(logits, std::vector<int>{0, 0, 0}), 0);
  // The window: with repeat_last_n 1 only the last token is penalised (by 2 here).
  SamplingParams w = Params(0.0f, 0, 1.0f, 2.0f, 1);
  w.repeat_last_n = 1;
  Sampler windowed(w);
  EXPECT_EQ(windowed.Sample(logits, std::vector<int>{0, 1, 1}), 0);  // 1 penalised: 1.0 < 3
  EXPECT_EQ(windowed.Sample(logits, std::vector<int>{1, 1, 0}), 1);  // 0 penalised: 1.5 < 2
  w.repeat_last_n = 0;
  Sampler off(w);
  EXPECT_EQ(off.Sample(logits, std::vector<int>{0, 0}), 0);
  // Token 0 500 tokens back: outside the default window of 64, inside the whole context (-1).
  std::vector<int> long_context(500, 7);  // 7: not in this 2-token vocabulary
  long_context[0] = 0;
  Sampler by_default(Params(0.0f, 0, 1.0f, 2.0f, 1));
  EXPECT_EQ(by_default.Sample(logits, long_context), 0);
  w.repeat_last_n = -1;
  Sampler whole(w);
  EXPECT_EQ(whole.Sample(logits, long_context), 1);
  // Negative logits are pushed further down.
  const std::vector<float> neg = {-1.0f, -1.5f};
  Sampler push(Params(0.0f, 0, 1.0f, 2.0f, 1));
  EXPECT_EQ(push.Sample(neg, std::vector<int>{0}), 1);  // -2 < -1.5
}

// min_p keeps the tokens at least min_p times as likely as the most likely one.
TEST(SamplerTest, MinPKeepsTokensNearTheTop) {
  // Probabilities 0.7, 0.2, 0.1: min_p 0.2 keeps those >= 0.14 (tokens 2 and 1, not 0).
  const std::vector<float> logits = {std::log(1.0f), std::log(2.0f), std::log(7.0f)};
  SamplingParams p = Params(1.0f, 0, 1.0f, 1.0f, 5);
  p.min_p = 0.2f;
  Sampler s(p);
  int seen1 = 0;
  for (int i = 0; i < 3000; ++i) {
    const int t = s.Sample(logits, {});
    ASSERT_NE(t, 0);
    seen1 += t == 1;
  }
  EXPECT_NEAR(seen1 / 3000.0, 2.0 / 9.0, 0.03);  // renormalised over the two kept
  p.min_p = 0.5f;                                // only the top one is left
  Sampler top(p);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(top.Sample(logits, {}), 2);
}

TEST(SamplerTest, FrequencyAndPresencePenaltiesCountTheOutputOnly) {
  // Logits [3, 2.5]; the context holds the prompt {0, 0} and the output {0}.
  const std::vector<float> logits = {3.0f, 2.5f};
  const std::vector<int> context = {0, 0, 0};
  SamplingParams freq = Params(0.0f, 0, 1.0f, 1.0f, 1);
  freq.frequency_penalty = 0.4f;  // 3 - 0.4 * 1 = 2.6 > 2.5: still 0 (the prompt's two don't count)
  EXPECT_EQ(Sampler(freq).Sample(logits, context, 2), 0);
  freq.frequency_penalty = 0.6f;  // 2.4 < 2.5
  EXPECT_EQ(Sampler(freq).Sample(logits, context, 2), 1);
  SamplingParams presence = Params(0.0f, 0, 1.0f, 1.0f, 1);
  presence.presence_penalty = 0.6f;  // once, however often: 2.4 < 2.5
  EXPECT_EQ(Sampler(presence).Sample(logits, context, 0), 1);
  presence.presence_penalty = 0.4f;
  EXPECT_EQ(Sampler(presence).Sample(logits, context, 0), 0);
}

TEST(SamplerTest, LogitBiasShiftsTheChoice) {
  const std::vector<float> logits = {1.0f, 0.0f, 0.5f};
  SamplingParams p = Params(0.0f, 0, 1.0f, 1.0f, 1);
  p.logit_bias = {{2, 0.6f}};
  EXPECT_EQ(Sampler(p).Sample(logits, {}), 2);
  p.logit_bias = {{0, -100.0f}, {7, 5.0f}};  // an id beyond the vocabulary is ignored
  EXPECT_EQ(Sampler(p).Sample(logits, {}), 2);
}

TEST(SamplerTest, LogprobsAreTheLogSoftmaxAndTheTopAlternatives) {
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(7.0f)};  // 0.1 0.2 0.7
  const TokenLogprobs lp = ComputeLogprobs(logits, 1, 2);
  EXPECT_NEAR(lp.logprob, std::log(0.2), 1e-6);
  ASSERT_EQ(lp.top.size(), 2u);
  EXPECT_EQ(lp.top[0].first, 2);
  EXPECT_NEAR(lp.top[0].second, std::log(0.7), 1e-6);
  EXPECT_EQ(lp.top[1].first, 1);
  EXPECT_TRUE(ComputeLogprobs(logits, 0, 0).top.empty());
  EXPECT_EQ(ComputeLogprobs(logits, 0, 10).top.size(), 3u);
}

// llama.cpp's order: top-p and min-p cut the untempered distribution, the temperature then applies
// to what is left. Logits [2, 1, 0] have probabilities .665, .245, .090: top-p 0.8 keeps tokens 0
// and 1 (at temperature 0.5 first, as vLLM orders it, token 0 alone would pass: .867), and min-p
// 0.3 keeps them too (relative .368 for token 1; .135 after the temperature).
TEST(SamplerTest, TruncationComesBeforeTheTemperatureAsInLlamaCpp) {
  const std::vector<float> logits = {2.0f, 1.0f, 0.0f};
  for (const bool use_min_p : {false, true}) {
    SamplingParams p = Params(0.5f, 0, use_min_p ? 1.0f : 0.8f, 1.0f, 7);
    if (use_min_p) p.min_p = 0.3f;
    Sampler s(p);
    std::map<int, int> seen;
    for (int i = 0; i < 4000; ++i) ++seen[s.Sample(logits, {})];
    EXPECT_EQ(seen[2], 0) << (use_min_p ? "min_p" : "top_p");
    // Among tokens 0 and 1 at temperature 0.5: e^2 / (e^4 + e^2) = 0.119 for token 1.
    EXPECT_NEAR(seen[1] / 4000.0, 0.119, 0.02) << (use_min_p ? "min_p" : "top_p");
  }
}

// The truncation sorts only a prefix of a large vocabulary; the tokens it keeps and the draw are
// those of a full sort (same seed, same token) for top-k, top-p and min-p alone and together.
TEST(SamplerTest, PartialSortingDrawsWhatAFullSortDraws) {
  Rng rng(5);
  std::vector<float> logits(50000);
  for (float& v : logits) v = static_cast<float>(rng.NextOpenUnit() * 12.0);
  auto reference = [&](const SamplingParams& p, Rng& r) {
    std::vector<std::pair<float, int>> w;
    for (size_t i = 0; i < logits.size(); ++i) w.emplace_back(logits[i], static_cast<int>(i));
    std::sort(w.begin(), w.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    size_t keep = p.top_k > 0 ? static_cast<size_t>(p.top_k) : w.size();
    double total = 0, acc = 0;
    for (size_t i = 0; i < keep; ++i) total += std::exp(double{w[i].first - w[0].first});
    size_t cut = keep;
    for (size_t i = 0; i < keep; ++i) {
      const double rel = std::exp(double{w[i].first - w[0].first});
      if (p.min_p > 0 && i > 0 && rel < p.min_p) {
        cut = i;
        break;
      }
      acc += rel;
      if (p.top_p < 1 && acc >= p.top_p * total) {
        cut = i + 1;
        break;
      }
    }
    std::vector<double> probs(cut);
    double sum = 0;
    for (size_t i = 0; i < cut; ++i)
      sum += probs[i] = std::exp((w[i].first - w[0].first) / p.temperature);
    const double u = r.NextOpenUnit() * sum;
    double a = 0;
    for (size_t i = 0; i < cut; ++i) {
      a += probs[i];
      if (u < a) return w[i].second;
    }
    return w[cut - 1].second;
  };
  struct Case {
    int top_k;
    float top_p, min_p;
  };
  for (const Case& c : {Case{40, 1.0f, 0.0f}, Case{0, 0.9f, 0.0f}, Case{0, 1.0f, 0.05f},
                        Case{0, 0.5f, 0.2f}, Case{1000, 0.95f, 0.01f}, Case{0, 0.999f, 0.0f}}) {
    SamplingParams p = Params(0.8f, c.top_k, c.top_p, 1.0f, 11);
    p.min_p = c.min_p;
    Sampler s(p);
    Rng r(11);
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(s.Sample(logits, {}), reference(p, r))
          << "top_k " << c.top_k << " top_p " << c.top_p << " min_p " << c.min_p << " draw " << i;
    }
  }
}

}  // namespace
}  // namespace llms::engine
