// Tests for the SLO metrics: the token-level score on hand-computed timelines (on time, late
// first token, the 5/8 case, a stall mid-stream with the deadline restart), the
// conventional metric, and a run summary's percentiles, attainments and goodput.
#include "core/slo.h"

#include <gtest/gtest.h>

namespace llms {
namespace {

const SloTargets kSlo{1.0, 0.1};  // TTFT 1 s, TPOT 100 ms

TEST(SloTest, OnTimeRequestScoresOne) {
  const RequestTiming r{0.0, {0.5, 0.6, 0.7, 0.75}, false, {}};
  EXPECT_DOUBLE_EQ(SloScore(r, kSlo), 1.0);
  EXPECT_TRUE(MeetsBothSlos(r, kSlo));
}

TEST(SloTest, LateFirstTokenCostsTheWholeWait) {
  // First token at 1.5 s misses its 1 s deadline: the whole wait from arrival is bad; then
  // deadlines restart at 1.5 s, so 1.6 and 1.7 are on time. Service 1.7 s, bad 1.5 s.
  const RequestTiming r{0.0, {1.5, 1.6, 1.7}, false, {}};
  EXPECT_NEAR(SloScore(r, kSlo), 1.0 - 1.5 / 1.7, 1e-12);
  EXPECT_FALSE(MeetsBothSlos(r, kSlo));
}

// The hand-worked case: arrival 0, tokens at 3, 6, 7, 8 s, TTFT 3 s, TPOT 2 s. The first
// token meets its 3 s deadline; the second misses 5 s, so 3..6 s is bad; deadlines restart from
// 6 s (8 s, 10 s) and the rest are met: 5 good seconds of 8.
TEST(SloTest, HandWorkedCaseScoresFiveEighths) {
  const RequestTiming r{0.0, {3.0, 6.0, 7.0, 8.0}, false, {}};
  EXPECT_DOUBLE_EQ(SloScore(r, SloTargets{3.0, 2.0}), 5.0 / 8.0);
  // A second late token (8.5 s against the restarted 8 s deadline): its wait is bad too.
  const RequestTiming later{0.0, {3.0, 6.0, 8.5, 9.0}, false, {}};
  EXPECT_DOUBLE_EQ(SloScore(later, SloTargets{3.0, 2.0}), 1.0 - (3.0 + 2.5) / 9.0);
}

TEST(SloTest, StallMidStreamRestartsDeadlines) {
  // Deadlines 1.0, 1.1, 1.2, ...; the third token comes at 1.5, past its 1.2 deadline: the wait
  // since the previous token (0.3 to 1.5) is bad; after it, deadlines 1.6, 1.7 are met.
  const RequestTiming r{0.0, {0.2, 0.3, 1.5, 1.6, 1.7}, false, {}};
  EXPECT_NEAR(SloScore(r, kSlo), 1.0 - 1.2 / 1.7, 1e-12);
  // 0.5 on time (deadline 1.0), 1.0 on time (deadline 1.1), 1.5 late (deadline 1.2): bad 0.5.
  const RequestTiming once{0.0, {0.5, 1.0, 1.5}, false, {}};
  EXPECT_NEAR(SloScore(once, kSlo), 1.0 - 0.5 / 1.5, 1e-12);
  const RequestTiming chain{
      0.0, {0.5, 0.9, 1.3}, false, {}};  // deadlines 1.0, 1.1 (met), 1.2 (late)
  EXPECT_NEAR(SloScore(chain, kSlo), 1.0 - 0.4 / 1.3, 1e-12);
  // Two late tokens in a row: after 1.3 the next deadline is 1.4, and 1.5 is late again.
  const RequestTiming restart{0.0, {0.5, 0.9, 1.3, 1.5}, false, {}};
  EXPECT_NEAR(SloScore(restart, kSlo), 1.0 - (0.4 + 0.2) / 1.5, 1e-12);
  // Mean TPOT (1.5 - 0.2) / 4 = 0.325 > 0.1: the conventional metric fails it too.
  EXPECT_FALSE(MeetsBothSlos(r, kSlo));
}

TEST(SloTest, FailedRequestsScoreZero) {
  EXPECT_EQ(SloScore({0.0, {}, false, {}}, kSlo), 0.0);
  EXPECT_EQ(SloScore({0.0, {0.1}, true, {}}, kSlo), 0.0);
  EXPECT_FALSE(MeetsBothSlos({0.0, {0.1}, true, {}}, kSlo));
}

TEST(SloTest, SummaryOfARun) {
  std::vector<RequestTiming> rs{
      {0.0, {0.5, 0.6, 0.7}, false, {}},  // on time
      {1.0, {2.5, 2.6}, false, {}},       // late first token
      {2.0, {}, true, {}},                // failed
      {3.0, {3.2, 3.3, 3.4, 3.5}, false, {}},
  };
  const SloSummary s = SummarizeRequests(rs, kSlo);
  EXPECT_EQ(s.completed, 3);
  EXPECT_EQ(s.failed, 1);
  EXPECT_NEAR(s.conventional_attainment, 2.0 / 4, 1e-12);
  const double late_score = 1.0 - 1.5 / 1.6;  // the whole 1.5 s wait is bad
  EXPECT_NEAR(s.slo_attainment, (1.0 + late_score + 0.0 + 1.0) / 4, 1e-12);
  EXPECT_NEAR(s.goodput_rps, 2.0 / 3.5, 1e-12);  // 2 good requests over 0 .. 3.5 s
  EXPECT_NEAR(s.output_tokens_per_s, 9.0 / 3.5, 1e-12);
  EXPECT_NEAR(s.ttft_s.max, 1.5, 1e-12);
  EXPECT_NEAR(s.ttft_s.p50, 0.5, 1e-12);  // of 0.5, 1.5, 0.2
  EXPECT_NEAR(s.tbt_s.max, 0.1, 1e-9);
  EXPECT_NEAR(s.tpot_s.mean, 0.1, 1e-9);
}

TEST(SloTest, RequestsWithTheirOwnSlosAreJudgedByThem) {
  // The same late-first-token timeline meets a model's looser 2 s TTFT SLO.
  std::vector<RequestTiming> rs{{0.0, {1.5, 1.6, 1.7}, false, {}},
                                {0.0, {1.5, 1.6, 1.7}, false, {}}};
  rs[1].slo = SloTargets{2.0, 0.1};
  const SloSummary s = SummarizeRequests(rs, kSlo);
  EXPECT_NEAR(s.conventional_attainment, 0.5, 1e-12);
  EXPECT_NEAR(s.slo_attainment, (1.0 - 1.5 / 1.7 + 1.0) / 2, 1e-12);
}

TEST(SloTest, ParsesModelSlos) {
  auto ok = ParseModelSlo("chat=2,0.05");
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok->first, "chat");
  EXPECT_DOUBLE_EQ(ok->second.ttft_s, 2.0);
  EXPECT_DOUBLE_EQ(ok->second.tpot_s, 0.05);
  for (const char* bad : {"chat", "=1,2", "chat=1", "chat=1,", "chat=x,0.1", "chat=1,0",
                          "chat=-1,1", "chat=1,0.1s"}) {
    auto r = ParseModelSlo(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.message().find("--slo"), std::string::npos) << r.message();
    }
  }
}

}  // namespace
}  // namespace llms
