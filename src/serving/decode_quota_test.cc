// Tests for the decode quotas: the paper's formula on hand-computed numbers, the property it is
// built for (every batch's mean time between tokens is alpha * TPOT), the Q_max bound, the 0.5
// floor, and the no-switch case.
#include "serving/decode_quota.h"

#include <gtest/gtest.h>

namespace llms::serving {
namespace {

// Mean time between tokens of batch i when the round repeats: round time / tokens per round.
double MeanTbt(const DecodeRound& r, std::span<const double> step_s, size_t i) {
  return r.round_s / (r.quota_s[i] / step_s[i]);
}

TEST(DecodeQuotaTest, HandComputedRound) {
  // Two models: steps of 20 ms and 25 ms, TPOT 100 ms: n = 5 and 4, S = 0.2 + 0.25 = 0.45.
  // c0 = 1 s: alpha = max(1 / (4 * 4) + 0.45, 0.5) = 0.5125; q1 = 1 / (5 * 0.0625) = 3.2 s,
  // q2 = 1 / (4 * 0.0625) = 4 s.
  const double steps[] = {0.020, 0.025};
  const DecodeRound r = DecodeQuotas(steps, 0.1, 1.0);
  EXPECT_NEAR(r.alpha, 0.5125, 1e-12);
  EXPECT_NEAR(r.quota_s[0], 3.2, 1e-9);
  EXPECT_NEAR(r.quota_s[1], 4.0, 1e-9);
  EXPECT_NEAR(r.round_s, 8.2, 1e-9);
  EXPECT_TRUE(r.meets_slo());
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(MeanTbt(r, steps, i), r.alpha * 0.1, 1e-12);
}

TEST(DecodeQuotaTest, EveryBatchGetsAlphaTimesTpot) {
  const double steps[] = {0.011, 0.03, 0.007, 0.045, 0.02};
  for (double c0 : {0.05, 0.4, 2.0}) {
    const DecodeRound r = DecodeQuotas(steps, 0.1, c0);
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_NEAR(MeanTbt(r, steps, i), r.alpha * 0.1, 1e-12) << c0 << " " << i;
      // No batch runs longer than Q_max in one turn (the first term of alpha bounds it).
      EXPECT_LE(r.quota_s[i], 4.0 + 1e-9);
    }
  }
  // Too much work: S alone exceeds 1, so the SLO cannot be met whatever the quotas.
  const double heavy[] = {0.06, 0.07};
  EXPECT_FALSE(DecodeQuotas(heavy, 0.1, 0.5).meets_slo());
}

TEST(DecodeQuotaTest, PerModelSlosScaleEachBatchsTbt) {
  // A chat model at 50 ms TPOT and a batch job at 400 ms: each batch sees alpha * its own SLO,
  // so the strict model gets proportionally more of the round.
  const double steps[] = {0.01, 0.04, 0.02};
  const double slo[] = {0.05, 0.4, 0.1};
  for (double c0 : {0.1, 1.0}) {
    const DecodeRound r = DecodeQuotas(steps, slo, c0);
    for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(MeanTbt(r, steps, i), r.alpha * slo[i], 1e-12);
    EXPECT_TRUE(r.meets_slo());
  }
  // With one SLO for all the two overloads agree.
  const double same[] = {0.1, 0.1, 0.1};
  EXPECT_NEAR(DecodeQuotas(steps, same, 0.3).alpha, DecodeQuotas(steps, 0.1, 0.3).alpha, 1e-15);
}

TEST(DecodeQuotaTest, FloorAndNoSwitchCase) {
  // Light load: S = 0.1 and a cheap switch would give alpha ~ 0.1; the floor keeps it at 0.5
  // (short, frequent rounds would spend most time switching).
  const double light[] = {0.005, 0.005};
  EXPECT_NEAR(DecodeQuotas(light, 0.1, 0.01).alpha, 0.5, 1e-12);
  // One model and no switch: TBT is just the step time, the round is Q_max long.
  const double one[] = {0.02};
  const DecodeRound r = DecodeQuotas(one, 0.1, 0.0);
  EXPECT_NEAR(r.alpha, 0.2, 1e-12);
  EXPECT_NEAR(r.quota_s[0], 4.0, 1e-12);
  EXPECT_TRUE(DecodeQuotas({}, 0.1, 1.0).quota_s.empty());
}

}  // namespace
}  // namespace llms::serving
