// Tests for the grouped FCFS prefill placement: grouping up to 8 per model, least-loaded
// placement counting switches, FCFS order, the prefetch hint.
#include "serving/prefill_dispatcher.h"

#include <gtest/gtest.h>

namespace llms::serving {
namespace {

// 1 ms per prompt token plus 10 ms per batch; switching costs 0.5 s.
PrefillDispatcher Make(int instances) {
  return PrefillDispatcher(
      instances,
      [](const std::string&, std::span<const int> lengths) {
        double s = 0.01;
        for (int l : lengths) s += 0.001 * l;
        return s;
      },
      [](const std::string&) { return 0.5; });
}

TEST(PrefillDispatcherTest, GroupsUpToEightPerModel) {
  PrefillDispatcher d = Make(1);
  for (uint64_t i = 0; i < 10; ++i) {
    const auto p = d.Submit({i, "a", 100});
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
  d.SetResident(0, "a");
  d.SetResident(1, "b");
  EXPECT_EQ(d.Submit({1, "a", 1000}).instance, 0);  // both idle: lowest index
  // Instance 0 now has 1.01 s queued; a "b" group goes to instance 1 (idle, already holds "b").
  EXPECT_EQ(d.Submit({2, "b", 10}).instance, 1);
  EXPECT_NEAR(d.Load(1), 0.02, 1e-12);
  // A "c" group: instance 1's load 0.02 + switch 0.5 < instance 0's 1.01 + 0.5.
  EXPECT_EQ(d.Submit({3, "c", 10}).instance, 1);
  EXPECT_NEAR(d.Load(1), 0.02 + 0.5 + 0.02, 1e-12);
  // Another "a" joins the open "a" group on instance 0 even though instance 1 is lighter.
  const auto p = d.Submit({4, "a", 10});
  EXPECT_EQ(p.instance, 0);
  EXPECT_FALSE(p.new_group);
  // FCFS per instance, and the model to prefetch: instance 1 runs "b" then "c".
  EXPECT_EQ(d.QueuedModel(1, 0), std::optional<std::string>("b"));
  EXPECT_EQ(d.QueuedModel(1, 1), std::optional<std::string>("c"));
  EXPECT_EQ(d.NextGroup(1)->model, "b");
  EXPECT_FALSE(d.QueuedModel(1, 1).has_value());
  EXPECT_EQ(d.NextGroup(1)->model, "c");
}

}  // namespace
}  // namespace llms::serving
