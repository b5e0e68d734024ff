// Workloads for the benchmark: trace timing, time scale, fixed-rate arrivals, spreading over the
// models, clipping to each model's context, and generation from a servegen preset.
#include "bench/bench_workload.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace llms::bench {
namespace {

std::string WriteMooncake() {
  const std::string path = ::testing::TempDir() + "/bench_trace.jsonl";
  std::ofstream f(path);
  for (int i = 0; i < 10; ++i) {
    f << "{\"timestamp\": " << 1000 + i * 500 << ", \"input_length\": " << 100 + i
      << ", \"output_length\": " << 50 << ", \"hash_ids\": []}\n";
  }
  return path;
}

TEST(BenchWorkloadTest, ReplaysATraceScaledAndSpreadRoundRobin) {
  WorkloadOptions o;
  o.trace = WriteMooncake();
  o.time_scale = 2;
  o.num_models = 3;
  auto items = LoadBenchWorkload(o);
  ASSERT_TRUE(items.ok()) << items.message();
  ASSERT_EQ(items->items.size(), 10u);
  EXPECT_DOUBLE_EQ(items->items[0].at_s, 0.0);
  EXPECT_DOUBLE_EQ(items->items[4].at_s, 1.0);  // 2 s of trace time at scale 2
  EXPECT_EQ(items->items[4].model, 1);          // no client ids: round-robin
  EXPECT_EQ(items->items[3].input_tokens, 103);
  EXPECT_EQ(items->items[3].output_tokens, 50);
}

// Azure's LLM inference traces (TIMESTAMP as a datetime, ContextTokens, GeneratedTokens) replay
// at their own spacing.
TEST(BenchWorkloadTest, ReplaysAnAzureTrace) {
  const std::string path = ::testing::TempDir() + "/azure_conv.csv";
  {
    std::ofstream f(path);
    f << "TIMESTAMP,ContextTokens,GeneratedTokens\n"
         "2023-11-16 18:15:46.6805900,374,44\n"
         "2023-11-16 18:15:47.1805900,396,109\n"
         "2023-11-16 18:15:49.6805900,879,34\n";
  }
  WorkloadOptions o;
  o.trace = path;
  o.num_models = 2;
  auto items = LoadBenchWorkload(o);
  ASSERT_TRUE(items.ok()) << items.message();
  ASSERT_EQ(items->items.size(), 3u);
  EXPECT_NEAR(items->items[1].at_s, 0.5, 1e-6);
  EXPECT_NEAR(items->items[2].at_s, 3.0, 1e-6);
  EXPECT_EQ(items->items[2].input_tokens, 879);
  EXPECT_EQ(items->items[1].output_tokens, 109);
}

TEST(BenchWorkloadTest, ClipsToTheModelContextKeepingTheShape) {
  WorkloadOptions o;
  o.trace = WriteMooncake();
  o.num_models = 2;
  o.context = {0, 60};
  o.limit = 4;
  auto items = LoadBenchWorkload(o);
  ASSERT_TRUE(items.ok()) << items.message();
  ASSERT_EQ(items->items.size(), 4u);
  EXPECT_EQ(items->items[0].input_tokens, 100);  // model 0: no context known
  const BenchItem& b = items->items[1];          // model 1: 101 + 50 scaled into 60
  EXPECT_LE(b.input_tokens + b.output_tokens, 60);
  EXPECT_GT(b.input_tokens, b.output_tokens);
  EXPECT_GE(b.output_tokens, 1);
}

// A conversation's later turn goes to its first turn's model, clipped to that model's context,
// linked to the turn before it, with its think time divided by the speed; classes carry targets.
TEST(BenchWorkloadTest, ConversationsStayOnTheirModelAndLinkTheirTurns) {
  const std::string path = ::testing::TempDir() + "/bench_conv.jsonl";
  {
    std::ofstream f(path);
    f << R"({"timestamp": 0, "input_length": 50, "output_length": 10, "session_id": 7, "turn": 0,)"
         R"( "slo_class": "a", "ttft_slo_ms": 200, "tpot_slo_ms": 20})"
      << "\n"
      << R"({"timestamp": 100, "input_length": 5000, "output_length": 10, "session_id": 7,)"
         R"( "turn": 1, "think_time_ms": 3000})"
      << "\n"
      << R"({"timestamp": 200, "input_length": 30, "output_length": 10})"
      << "\n";
  }
  WorkloadOptions o;
  o.trace = path;
  o.num_models = 2;
  o.context = {1000, 100000};  // no client ids: round-robin would send turn 1 to model 1
  o.time_scale = 2;
  auto w = LoadBenchWorkload(o);
  ASSERT_TRUE(w.ok()) << w.message();
  ASSERT_EQ(w->items.size(), 3u);
  EXPECT_TRUE(w->closed_loop_sessions);
  const BenchItem& first = w->items[0];
  const BenchItem& later = w->items[1];
  EXPECT_EQ(first.next, 1);
  EXPECT_EQ(later.prev, 0);
  EXPECT_EQ(later.model, first.model);
  EXPECT_LE(later.input_tokens + later.output_tokens, 1000);  // model 0's context
  EXPECT_DOUBLE_EQ(later.think_s, 1.5);
  EXPECT_EQ(w->items[2].prev, -1);
  ASSERT_EQ(w->slo_classes.size(), 1u);
  EXPECT_DOUBLE_EQ(w->slo_classes[0].slo.ttft_s, 0.2);
  EXPECT_EQ(first.slo_class, 0);
  EXPECT_EQ(later.slo_class, -1);
  // Open replay keeps the turns independent.
  o.closed_loop_sessions = false;
  auto open = LoadBenchWorkload(o);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->items[1].prev, -1);
  EXPECT_FALSE(open->closed_loop_sessions);
}

TEST(BenchWorkloadTest, FixedRateArrivalsHaveTheRate) {
  WorkloadOptions o;
  o.preset = "language";
  o.duration_s = 600;
  o.preset_rate = 5;
  o.fixed_rate = 50;
  o.num_models = 4;
  auto items = LoadBenchWorkload(o);
  ASSERT_TRUE(items.ok()) << items.message();
  ASSERT_GT(items->items.size(), 2000u);
  const double rate = static_cast<double>(items->items.size() - 1) / items->items.back().at_s;
  EXPECT_NEAR(rate, 50, 5);
  std::set<int> models;
  for (const BenchItem& it : items->items) models.insert(it.model);
  EXPECT_EQ(models.size(), 4u);  // the preset's clients cover every model
}

TEST(BenchWorkloadTest, ErrorsNameTheProblem) {
  WorkloadOptions o;
  o.preset = "no-such-preset";
  auto r = LoadBenchWorkload(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("no-such-preset"), std::string::npos);
  o.preset.clear();
  o.trace = "/nonexistent/trace.jsonl";
  EXPECT_FALSE(LoadBenchWorkload(o).ok());
}

}  // namespace
}  // namespace llms::bench
