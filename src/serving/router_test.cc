// Tests of the routing rule on a table of cluster states, and of the node record's JSON.
#include "serving/router.h"

#include <gtest/gtest.h>

namespace llms::serving {
namespace {

NodeInfo Node(const std::string& name, std::vector<ModelLoad> models, bool draining = false) {
  NodeInfo n;
  n.name = name;
  n.url = "http://127.0.0.1:1";
  n.models = std::move(models);
  n.draining = draining;
  return n;
}

std::string Pick(const std::string& model, const std::vector<NodeInfo>& nodes,
                 const std::set<std::string>& exclude = {}, uint64_t turn = 0,
                 int64_t penalty = 2) {
  const int i = Router::Route(model, nodes, exclude, turn, penalty);
  return i < 0 ? "-" : nodes[static_cast<size_t>(i)].name;
}

TEST(RouterTest, ATableOfClusterStates) {
  struct Case {
    const char* what;
    std::vector<NodeInfo> nodes;
    std::string model;
    std::set<std::string> exclude;
    std::string want;
  } cases[] = {
      {"only the node serving the model", {Node("a", {{"x"}}), Node("b", {{"y"}})}, "y", {}, "b"},
      {"nobody serves it", {Node("a", {{"x"}})}, "z", {}, "-"},
      {"no nodes at all", {}, "x", {}, "-"},
      {"resident beats a slightly shorter queue",
       {Node("a", {{"x", false, 0, 0}}), Node("b", {{"x", true, 1, 0}})},
       "x",
       {},
       "b"},
      {"but not a much shorter one: the switch is worth two requests",
       {Node("a", {{"x", false, 0, 0}}), Node("b", {{"x", true, 2, 1}})},
       "x",
       {},
       "a"},
      {"among residents, the model's shorter queue",
       {Node("a", {{"x", true, 2, 3}}), Node("b", {{"x", true, 1, 1}})},
       "x",
       {},
       "b"},
      {"same model queue: the node with fewer requests in all",
       {Node("a", {{"x", false, 1, 0}, {"y", false, 5, 5}}), Node("b", {{"x", false, 1, 0}})},
       "x",
       {},
       "b"},
      {"a draining node takes nothing",
       {Node("a", {{"x", true, 0, 0}}, true), Node("b", {{"x", false, 9, 9}})},
       "x",
       {},
       "b"},
      {"excluded nodes (tried, failed) are skipped",
       {Node("a", {{"x", true}}), Node("b", {{"x", false, 9, 9}})},
       "x",
       {"a"},
       "b"},
      {"every candidate excluded", {Node("a", {{"x"}}), Node("b", {{"x"}})}, "x", {"a", "b"}, "-"},
      {"only draining nodes serve it", {Node("a", {{"x"}}, true)}, "x", {}, "-"},
  };
  for (const Case& c : cases) EXPECT_EQ(Pick(c.model, c.nodes, c.exclude), c.want) << c.what;
}

TEST(RouterTest, ThePenaltyTradesLocalityForBalance) {
  const std::vector<NodeInfo> nodes = {Node("a", {{"x", false, 0, 0}}),
                                       Node("b", {{"x", true, 5, 2}})};
  EXPECT_EQ(Pick("x", nodes, {}, 0, 0), "a");  // least queue
  EXPECT_EQ(Pick("x", nodes, {}, 0, 7),
            "a");  // 7 > 7 is false: a tie on the model, a's node is emptier
  EXPECT_EQ(Pick("x", nodes, {}, 0, 8), "b");  // the default: stay where it is resident
  EXPECT_EQ(Router::kDefaultSwitchPenalty, 8);
}

TEST(RouterTest, EqualNodesShareTheLoadRoundRobin) {
  const std::vector<NodeInfo> nodes = {Node("a", {{"x"}}), Node("b", {{"x"}}), Node("c", {{"y"}}),
                                       Node("d", {{"x"}})};
  std::map<std::string, int> count;
  for (uint64_t t = 0; t < 30; ++t) ++count[Pick("x", nodes, {}, t)];
  EXPECT_EQ(count["a"], 10);
  EXPECT_EQ(count["b"], 10);
  EXPECT_EQ(count["d"], 10);
  EXPECT_EQ(count.count("c"), 0u);
}

TEST(RouterTest, NodeRecordsRoundTripThroughJson) {
  NodeInfo n = Node("node-1", {{"x", true, 2, 3, 4096}, {"y", false, 0, 1, 512}}, true);
  n.instances = 2;
  n.heartbeat_ms = 1765000000123;
  n.lease_ms = 2000;
  const auto back = ParseNodeInfo(NodeInfoJson(n));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(back->name, "node-1");
  EXPECT_EQ(back->url, n.url);
  EXPECT_TRUE(back->draining);
  EXPECT_EQ(back->instances, 2);
  EXPECT_EQ(back->heartbeat_ms, 1765000000123);
  EXPECT_EQ(back->lease_ms, 2000);
  ASSERT_EQ(back->models.size(), 2u);
  EXPECT_TRUE(back->models[0].resident);
  EXPECT_EQ(back->models[0].running, 3);
  EXPECT_EQ(back->models[1].max_model_len, 512);
  EXPECT_EQ(back->queued(), 2 + 3 + 0 + 1);
  EXPECT_EQ(back->Find("y")->waiting, 0);
  EXPECT_EQ(back->Find("z"), nullptr);
  EXPECT_FALSE(ParseNodeInfo("[1]").ok());
  EXPECT_FALSE(ParseNodeInfo(R"({"name": "a"})").ok());
}

}  // namespace
}  // namespace llms::serving
