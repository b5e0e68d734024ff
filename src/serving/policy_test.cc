// Policy unit tests: the factory's errors and the static placement of the multiplexing baseline.
// The policies' behaviour over time is tested through the simulation (src/sim/simulation_test.cc).
#include "serving/policy.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "serving/multiplexing_policy.h"

namespace llms::serving {
namespace {

class FixedLatency : public LatencyPredictor {
 public:
  double PrefillSeconds(std::span<const int>) const override { return 1.0; }
  double DecodeSeconds(int64_t, int) const override { return 0.05; }
  double LoadSeconds() const override { return 2.0; }
  double KvMoveSeconds(double) const override { return 0.0; }
};

std::vector<ServedModel> Models(std::vector<double> weight_gb) {
  std::vector<ServedModel> out;
  auto lat = std::make_shared<FixedLatency>();
  for (size_t i = 0; i < weight_gb.size(); ++i) {
    out.push_back({fmt::format("m{}", i), weight_gb[i] * 1e9, 1e5, lat});
  }
  return out;
}

TEST(PolicyTest, FactoryRejectsUnknownNamesAndOversizedModels) {
  ClusterSpec c;
  c.instances = 2;
  c.prefill_instances = 1;
  c.instance_memory = 80e9;
  auto unknown = MakePolicy("fifo", Models({10}), c);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("unknown policy 'fifo'"), std::string::npos);
  auto big = MakePolicy("aegaeon", Models({10, 90}), c);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.message().find("model m1 needs 90.0 GB"), std::string::npos);
  c.prefill_instances = 2;
  auto no_decode = MakePolicy("aegaeon", Models({10}), c);
  ASSERT_FALSE(no_decode.ok());
  EXPECT_NE(no_decode.message().find("one prefill and one decode"), std::string::npos);
  for (const auto& name : PolicyNames()) {
    c.prefill_instances = 1;
    EXPECT_TRUE(MakePolicy(name, Models({10}), c).ok()) << name;
  }
}

TEST(PolicyTest, MultiplexingSpreadsModelsLargestFirstAndRejectsWhatDoesNotFit) {
  ClusterSpec c;
  c.instances = 2;
  c.instance_memory = 80e9;
  c.multiplex_kv_reserve = 10e9;
  // 30 GB models need 40 GB each with their reserve: two per instance, four in all, alternating
  // between the instances (fewest models first). The fifth and the 5 GB one (placed last, 15 GB
  // needed) find no room and are rejected.
  MultiplexingPolicy mux(Models({30, 30, 30, 30, 30, 5}), c, /*dedicated=*/false);
  EXPECT_EQ(mux.placement(), (std::vector<int>{0, 1, 0, 1, -1, -1}));
  ServingRequest r;
  r.model = 4;
  r.prompt_tokens = 10;
  EXPECT_FALSE(mux.Submit(&r, 0.0));
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.reject, RejectReason::kNotPlaced);
  EXPECT_EQ(mux.stats().rejected.at("not_placed"), 1);

  MultiplexingPolicy dedicated(Models({30, 5, 5}), c, /*dedicated=*/true);
  EXPECT_EQ(dedicated.placement(), (std::vector<int>{0, 1, -1}));
}

}  // namespace
}  // namespace llms::serving
