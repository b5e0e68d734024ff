// Tests for the grouped FCFS prefill placement: grouping up to 8 per model, least-loaded
// placement counting switches, FCFS order, the prefetch hint, the KV limit of a group, removal.
#include "serving/prefill_dispatcher.h"

#include <gtest/gtest.h>

namespace llms::serving {
namespace {

constexpr int kA = 0, kB = 1, kC = 2;

// 1 ms per prompt token plus 10 ms per batch; switching costs 0.5 s.
PrefillDispatcher Make(int instances, PrefillDispatcher::KvCapacity capacity = nullptr) {
  return PrefillDispatcher(
      instances,
      [](int, std::span<const int> lengths) {
        double s = 0.01;
        for (int l : lengths) s += 0.001 * l;
        return s;
      },
      [](int) { return 0.5; }, 8, std::move(capacity));
}

TEST(PrefillDispatcherTest, GroupsUpToEightPerModel) {
  PrefillDispatcher d = Make(1);
  for (uint64_t i = 0; i < 10; ++i) {
    const auto p = d.Submit({i, kA, 100, 7});
    EXPECT_EQ(p.new_group, i == 0 || i == 8) << i;
  }
  ASSERT_EQ(d.queued_groups(0), 2u);
  auto first = d.NextGroup(0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->requests.size(), 8u);
  EXPECT_EQ(first->requests.front().id, 0u);
  EXPECT_EQ(d.NextGroup(0)->requests.size(), 2u);
  EXPECT_FALSE(d.NextGroup(0).has_value());
}

TEST(PrefillDispatcherTest, NewGroupsGoToTheLeastLoadedInstance) {
  PrefillDispatcher d = Make(2);
  d.SetResident(0, kA);
  d.SetResident(1, kB);
  EXPECT_EQ(d.Submit({1, kA, 1000}).instance, 0);  // both idle: lowest index
  // Instance 0 now has 1.01 s queued; a "b" group goes to instance 1 (idle, already holds "b").
  EXPECT_EQ(d.Submit({2, kB, 10}).instance, 1);
  EXPECT_NEAR(d.Load(1), 0.02, 1e-12);
  // A "c" group: instance 1's load 0.02 + switch 0.5 < instance 0's 1.01 + 0.5.
  EXPECT_EQ(d.Submit({3, kC, 10}).instance, 1);
  EXPECT_NEAR(d.Load(1), 0.02 + 0.5 + 0.02, 1e-12);
  // Another "a" joins the open "a" group on instance 0 even though instance 1 is lighter.
  const auto p = d.Submit({4, kA, 10});
  EXPECT_EQ(p.instance, 0);
  EXPECT_FALSE(p.new_group);
  // FCFS per instance, and the model to prefetch: instance 1 runs "b" then "c".
  EXPECT_EQ(d.QueuedModel(1, 0), std::optional<int>(kB));
  EXPECT_EQ(d.QueuedModel(1, 1), std::optional<int>(kC));
  EXPECT_EQ(d.NextGroup(1)->model, kB);
  EXPECT_FALSE(d.QueuedModel(1, 1).has_value());
  EXPECT_EQ(d.NextGroup(1)->model, kC);
}

TEST(PrefillDispatcherTest, AGroupHoldsNoMoreKvThanAnInstanceHas) {
  // 20 blocks of model A per instance: 7 + 7 fit, a third request of 7 opens a new group.
  PrefillDispatcher d = Make(1, [](int) { return int64_t{20}; });
  EXPECT_TRUE(d.Submit({1, kA, 100, 7}).new_group);
  EXPECT_FALSE(d.Submit({2, kA, 100, 7}).new_group);
  EXPECT_TRUE(d.Submit({3, kA, 100, 7}).new_group);
  EXPECT_FALSE(d.Submit({4, kA, 10, 6}).new_group);  // 7 + 7 + 6 = 20: joins the first group
  auto first = d.NextGroup(0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->requests.size(), 3u);
  EXPECT_EQ(first->kv_blocks, 20);
}

TEST(PrefillDispatcherTest, RemoveTakesAQueuedRequestOutAndDropsAnEmptyGroup) {
  PrefillDispatcher d = Make(1);
  d.Submit({1, kA, 10, 1});
  d.Submit({2, kB, 10, 1});
  EXPECT_TRUE(d.Remove(1));
  EXPECT_FALSE(d.Remove(1));
  EXPECT_EQ(d.queued_groups(0), 1u);
  EXPECT_EQ(d.QueuedModel(0, 0), std::optional<int>(kB));
  EXPECT_TRUE(d.Remove(2));
  EXPECT_FALSE(d.NextGroup(0).has_value());
}

}  // namespace
}  // namespace llms::serving
