// Tests for pool selection: span checks, each filter, top-k ranking and per-client scaling.
#include "servegen/pool_filter.h"

#include <gtest/gtest.h>

#include "servegen/test_pools.h"

namespace llms::servegen {
namespace {

std::vector<std::string> Ids(const ClientPool& p) {
  std::vector<std::string> ids;
  for (const auto& c : p.clients) ids.push_back(c.id);
  return ids;
}

TEST(PoolFilterTest, SpanMustLieInsideTheData) {
  auto pool = testing::UniformPool(2, 6, 1.0);  // 3600 s
  EXPECT_TRUE(ApplyFilter(pool, {}, 0, 3600).ok());
  auto r = ApplyFilter(pool, {}, 3000, 1200);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("lies outside the data"), std::string::npos);
  EXPECT_FALSE(ApplyFilter(pool, {}, 0, 0).ok());
}

TEST(PoolFilterTest, FiltersByIdRankCvAndLength) {
  auto pool = testing::UniformPool(4, 6, 1.0);  // c3 busiest; mean input 100*(i+1)+4.5
  PoolFilter ids;
  ids.client_ids = {"c1", "c2"};
  EXPECT_EQ(Ids(*ApplyFilter(pool, ids, 0, 3600)), (std::vector<std::string>{"c1", "c2"}));
  PoolFilter unknown;
  unknown.client_ids = {"zz"};
  EXPECT_NE(ApplyFilter(pool, unknown, 0, 3600).message().find("client 'zz' is not in"),
            std::string::npos);
  PoolFilter top;
  top.top_k = 2;
  EXPECT_EQ(Ids(*ApplyFilter(pool, top, 0, 3600)), (std::vector<std::string>{"c2", "c3"}));
  PoolFilter input;
  input.mean_input = Range{150, 350};
  EXPECT_EQ(Ids(*ApplyFilter(pool, input, 0, 3600)), (std::vector<std::string>{"c1", "c2"}));
  PoolFilter max_in;
  max_in.max_input = 209;
  EXPECT_EQ(Ids(*ApplyFilter(pool, max_in, 0, 3600)), (std::vector<std::string>{"c0", "c1"}));
  PoolFilter cv;
  cv.cv = Range{0, 1};  // all have CV sqrt(2)
  EXPECT_FALSE(ApplyFilter(pool, cv, 0, 3600).ok());
}

TEST(PoolFilterTest, InactiveClientsAreDroppedForTheSpan) {
  auto pool = testing::UniformPool(2, 6, 1.0);
  for (size_t k = 0; k < 3; ++k) pool.clients[0].windows[k].rate = 0;
  EXPECT_EQ(Ids(*ApplyFilter(pool, {}, 0, 1800)), (std::vector<std::string>{"c1"}));
  EXPECT_EQ(ApplyFilter(pool, {}, 0, 3600)->clients.size(), 2u);
}

TEST(PoolFilterTest, ScalingByIdAndRank) {
  auto pool = testing::UniformPool(3, 6, 1.0);
  PoolFilter f;
  f.scales = {{"top1", 2.0}, {"c0", 0.5}};
  auto out = *ApplyFilter(pool, f, 0, 3600);
  EXPECT_DOUBLE_EQ(out.clients[2].rate_scale, 2.0);  // c2 is the busiest
  EXPECT_DOUBLE_EQ(out.clients[0].rate_scale, 0.5);
  EXPECT_DOUBLE_EQ(out.TotalRate(0), 0.5 + 2 + 6);
  PoolFilter bad;
  bad.scales = {{"top9", 2.0}};
  EXPECT_NE(ApplyFilter(pool, bad, 0, 3600).message().find("no selected client matches 'top9'"),
            std::string::npos);
}

TEST(PoolFilterTest, ParsesRangesAndScales) {
  EXPECT_EQ(ParseRange("1:5", "--cv")->max, 5);
  EXPECT_TRUE(std::isinf(ParseRange("1:", "--cv")->max));
  EXPECT_EQ(ParseRange(":5", "--cv")->min, 0);
  EXPECT_FALSE(ParseRange("5:1", "--cv").ok());
  EXPECT_FALSE(ParseRange("5", "--cv").ok());
  EXPECT_EQ(ParseClientScale("top1=2")->second, 2);
  EXPECT_FALSE(ParseClientScale("top1").ok());
  EXPECT_FALSE(ParseClientScale("x=-1").ok());
}

}  // namespace
}  // namespace llms::servegen
