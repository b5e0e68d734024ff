// Tests for Rng: reproducibility, stream independence, uniformity, unbiased bounded integers.
#include "core/rng.h"

#include <gtest/gtest.h>

#include <set>

#include "core/stats.h"

namespace llms {
namespace {

TEST(RngTest, SameSeedSameSequence) {
  Rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.NextU64(), b.NextU64());
}

TEST(RngTest, GoldenValuesArePinned) {
  // The byte-for-byte reproducibility promise of every generator depends on these values:
  // changing the algorithm or seeding changes every workload a user has generated.
  Rng r(1);
  const uint64_t first = r.NextU64();
  const uint64_t second = r.NextU64();
  Rng again(1);
  EXPECT_EQ(again.NextU64(), first);
  EXPECT_EQ(again.NextU64(), second);
  EXPECT_EQ(first, 0xcfc5d07f6f03c29bULL) << std::hex << first;
}

TEST(RngTest, StreamsDiffer) {
  std::set<uint64_t> firsts;
  for (uint64_t s = 0; s < 100; ++s) firsts.insert(Rng::ForStream(7, s).NextU64());
  EXPECT_EQ(firsts.size(), 100u);
  EXPECT_NE(Rng::ForStream(7, 1).NextU64(), Rng::ForStream(8, 1).NextU64());
}

TEST(RngTest, OpenUnitIsUniformAndOpen) {
  Rng r(3);
  std::vector<double> xs;
  for (int i = 0; i < 100000; ++i) {
    const double u = r.NextOpenUnit();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    xs.push_back(u);
  }
  EXPECT_LT(KsStatistic(xs, [](double x) { return x; }), 0.01);
}

TEST(RngTest, NextBelowCoversRangeEvenly) {
  Rng r(5);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[r.NextBelow(7)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  EXPECT_EQ(r.NextBelow(1), 0u);
}

TEST(RngTest, HashStringIsStable) {
  EXPECT_EQ(Rng::HashString("client-1"), Rng::HashString("client-1"));
  EXPECT_NE(Rng::HashString("client-1"), Rng::HashString("client-2"));
}

}  // namespace
}  // namespace llms
