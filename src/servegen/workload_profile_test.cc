// Tests for the workload profile: peaks at 1 s and 10 s (with a stray timestamp far out, which
// must not allocate a bin per second), tokens per second, the joint length bins, per-client rows.
#include "servegen/workload_profile.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace llms::servegen {
namespace {

Trace Make(const std::vector<std::tuple<double, uint32_t, int64_t, int64_t>>& rows) {
  Trace t;
  t.clients = {"a", "b"};
  for (const auto& [ts, client, in, out] : rows) {
    Request r;
    r.timestamp = ts;
    r.client = client;
    r.input_tokens = in;
    r.output_tokens = out;
    t.batch.requests.push_back(r);
  }
  return t;
}

TEST(WorkloadProfileTest, PeaksTokensJointLengthsAndClients) {
  // Three requests in the first second, one at 5.5 s, one 1e9 s later (a stray timestamp).
  const Trace t =
      Make({{0.1, 0, 100, 10}, {0.2, 0, 3, 1}, {0.9, 1, 700, 70}, {5.5, 0, 8, 8}, {1e9, 1, 1, 1}});
  const WorkloadProfile p = ProfileWorkload(t);
  EXPECT_EQ(p.requests, 5);
  ASSERT_EQ(p.peaks.size(), 2u);
  EXPECT_DOUBLE_EQ(p.peaks[0].window_s, 1.0);
  EXPECT_DOUBLE_EQ(p.peaks[0].requests_per_s, 3.0);
  EXPECT_DOUBLE_EQ(p.peaks[0].input_tokens_per_s, 803.0);
  EXPECT_DOUBLE_EQ(p.peaks[0].output_tokens_per_s, 81.0);
  EXPECT_DOUBLE_EQ(p.peaks[1].requests_per_s, 0.4);      // four in the first 10 s
  EXPECT_DOUBLE_EQ(p.peaks[0].p99_requests_per_s, 0.0);  // nearly every second is empty
  EXPECT_LE(p.input_tokens_per_s.size(), 202u);          // about 200 bins, whatever the span
  // Joint bins: 100 -> bin 6, 10 -> bin 3; 3 -> 1, 1 -> 0; 700 -> 9, 70 -> 6.
  EXPECT_EQ(p.joint[6][3], 1);
  EXPECT_EQ(p.joint[1][0], 1);
  EXPECT_EQ(p.joint[9][6], 1);
  ASSERT_EQ(p.clients.size(), 2u);
  EXPECT_EQ(p.clients[0].id, "a");
  EXPECT_DOUBLE_EQ(p.clients[0].share, 0.6);
  const auto j = nlohmann::json::parse(WorkloadProfileJsonText(p));
  EXPECT_EQ(j["peaks"][0]["requests_per_s"], 3.0);
  EXPECT_EQ(j["conversations"]["requests_in_conversations"], 0);
  EXPECT_FALSE(j.contains("reasoning"));
  const std::string html = WorkloadProfileHtml(p);
  EXPECT_NE(html.find("id=\"joint\""), std::string::npos);
}

}  // namespace
}  // namespace llms::servegen
