// Simulation tests: the policies driven through the discrete-event loop on hand-checkable
// latencies (token times, head-of-line blocking, token-level switching, prefetch, rejections),
// workload generation, and experiments (errors and, with ../shared, one sweep point).
#include "sim/simulation.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "servegen/presets.h"
#include "servegen/trace_reader.h"
#include "serving/aegaeon_policy.h"
#include "sim/experiment.h"
#include "sim/sim_executor.h"
#include "sim/workload.h"

namespace llms::sim {
namespace {

using serving::ServingRequest;

// Prefill 1 s per batch, decode 0.1 s per step, weights load in `load` s, KV moves free.
class FixedLatency : public serving::LatencyPredictor {
 public:
  explicit FixedLatency(double load) : load_(load) {}
  double PrefillSeconds(std::span<const int>) const override { return 1.0; }
  double DecodeSeconds(int64_t, int) const override { return 0.1; }
  double LoadSeconds() const override { return load_; }
  double KvMoveSeconds(double) const override { return 0.0; }

 private:
  double load_;
};

std::vector<serving::ServedModel> Models(int n, double load, double weight_gb = 10) {
  std::vector<serving::ServedModel> out;
  auto lat = std::make_shared<FixedLatency>(load);
  for (int i = 0; i < n; ++i) out.push_back({fmt::format("m{}", i), weight_gb * 1e9, 1e5, lat});
  return out;
}

ServingRequest Req(uint64_t id, int model, double t, int out) {
  ServingRequest r;
  r.id = id;
  r.model = model;
  r.arrival_s = t;
  r.prompt_tokens = 100;
  r.max_output_tokens = out;
  return r;
}

struct SimRun {
  std::unique_ptr<serving::Policy> policy;
  SimulationOutcome outcome;
};

SimRun RunPolicy(const std::string& name, const std::vector<serving::ServedModel>& models,
                 const serving::ClusterSpec& cluster, std::vector<ServingRequest>& requests,
                 double engine_start_s = 0.0) {
  auto policy = serving::MakePolicy(name, models, cluster);
  EXPECT_TRUE(policy.ok()) << policy.message();
  std::vector<std::unique_ptr<serving::Executor>> execs;
  for (int i = 0; i < (*policy)->instances(); ++i) {
    execs.push_back(std::make_unique<SimExecutor>(&models, engine_start_s));
  }
  VirtualClock clock;
  SimRun run;
  run.outcome = Simulate(**policy, execs, requests, clock, 1e6);
  run.policy = std::move(*policy);
  return run;
}

serving::ClusterSpec Cluster(int instances, int prefill) {
  serving::ClusterSpec c;
  c.instances = instances;
  c.prefill_instances = prefill;
  c.instance_memory = 80e9;
  return c;
}

TEST(SimulationTest, TokenTimesFollowTheLatencies) {
  // One dedicated instance, model already resident: prefill 1 s then 0.1 s per decode step.
  auto models = Models(1, 2.0);
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 3)};
  SimRun run = RunPolicy("dedicated", models, Cluster(1, 0), reqs);
  ASSERT_EQ(reqs[0].token_s.size(), 3u);
  EXPECT_DOUBLE_EQ(reqs[0].token_s[0], 1.0);
  EXPECT_NEAR(reqs[0].token_s[1], 1.1, 1e-12);
  EXPECT_NEAR(reqs[0].token_s[2], 1.2, 1e-12);
  EXPECT_TRUE(reqs[0].done());
  EXPECT_FALSE(reqs[0].failed());
}

TEST(SimulationTest, RequestLevelBlocksTheSecondModelUntilTheFirstDrains) {
  // One instance, two models, load 2 s: model 1's request waits for model 0's 50 tokens.
  auto models = Models(2, 2.0);
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 50), Req(1, 1, 0.5, 5)};
  SimRun run = RunPolicy("request-level", models, Cluster(1, 0), reqs);
  // Model 0: load 2 s, prefill 1 s (token at 3), then 49 steps: last token at 7.9 s.
  EXPECT_NEAR(reqs[0].token_s.back(), 7.9, 1e-9);
  // Model 1 starts only then: load 2 s + prefill 1 s.
  EXPECT_NEAR(reqs[1].token_s.front(), 10.9, 1e-9);
  EXPECT_EQ(run.policy->stats().switches.size(), 2u);
}

TEST(SimulationTest, RequestLevelServesTheOldestWaitingModelAndPlusTheShortestRequest) {
  // One instance busy with model 0 (50 tokens); meanwhile model 1 gets one request of 20 tokens,
  // then model 2 four of 8 tokens each (more work in all, but the shortest request). Plain
  // request-level takes model 1 next (it has waited longer); plus takes model 2 (its shortest
  // request needs the least work; ordering by a queue's total work would pick model 1).
  auto models = Models(3, 1.0);
  auto order = [&](const std::string& policy) {
    std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 50), Req(1, 1, 0.5, 20), Req(2, 2, 1.0, 8),
                                     Req(3, 2, 1.1, 8),  Req(4, 2, 1.2, 8),  Req(5, 2, 1.3, 8)};
    RunPolicy(policy, models, Cluster(1, 0), reqs);
    for (const auto& r : reqs) EXPECT_TRUE(r.done()) << policy << " request " << r.id;
    return reqs[1].token_s.front() < reqs[2].token_s.front() ? 1 : 2;
  };
  EXPECT_EQ(order("request-level"), 1);
  EXPECT_EQ(order("request-level-plus"), 2);
}

// Request-level evicts the least recently used model: two instances hold models 0 and 1; model 0
// is used again later, so model 2 replaces model 1 (idle the longest), not model 0.
TEST(SimulationTest, RequestLevelEvictsTheLeastRecentlyUsedModel) {
  auto models = Models(3, 1.0);
  for (const bool touch_zero : {true, false}) {
    std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 5), Req(1, 1, 0.0, 5)};
    if (touch_zero) reqs.push_back(Req(2, 0, 10.0, 5));
    reqs.push_back(Req(3, 2, 20.0, 5));
    SimRun run = RunPolicy("request-level", models, Cluster(2, 0), reqs);
    for (const auto& r : reqs) EXPECT_TRUE(r.done()) << r.id;
    const auto& sw = run.policy->stats().switches;
    ASSERT_FALSE(sw.empty());
    EXPECT_EQ(sw.back().to_model, 2);
    // Model 0 was used at 10 s: model 1 goes. Otherwise model 0, loaded first, is the older.
    EXPECT_EQ(sw.back().from_model, touch_zero ? 1 : 0) << "touched model 0: " << touch_zero;
  }
}

TEST(SimulationTest, AStockEngineStartIsChargedToEverySwitchAndRecorded) {
  // The same as above on an engine that takes 3 s to start before each load.
  auto models = Models(2, 2.0);
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 50), Req(1, 1, 0.5, 5)};
  SimRun run = RunPolicy("request-level", models, Cluster(1, 0), reqs, /*engine_start_s=*/3.0);
  EXPECT_NEAR(reqs[0].token_s.front(), 6.0, 1e-9);   // start 3 + load 2 + prefill 1
  EXPECT_NEAR(reqs[0].token_s.back(), 10.9, 1e-9);   // + 49 steps
  EXPECT_NEAR(reqs[1].token_s.front(), 16.9, 1e-9);  // + start 3 + load 2 + prefill 1
  ASSERT_EQ(run.policy->stats().switches.size(), 2u);
  for (const auto& s : run.policy->stats().switches) {
    EXPECT_DOUBLE_EQ(s.phases.engine_start_s, 3.0);
    EXPECT_DOUBLE_EQ(s.phases.weights_in_s, 2.0);
    EXPECT_DOUBLE_EQ(s.phases.total(), 5.0);
  }
}

// KV moves pipelined with compute layer by layer: the longer of the two plus one layer's share of
// the shorter; one layer is the serial sum.
TEST(SimulationTest, KvMovesOverlapWithComputeLayerByLayer) {
  EXPECT_DOUBLE_EQ(Overlapped(0.080, 0.008, 40), 0.080 + 0.008 / 40);
  EXPECT_DOUBLE_EQ(Overlapped(0.002, 0.040, 40), 0.040 + 0.002 / 40);
  EXPECT_DOUBLE_EQ(Overlapped(0.080, 0.008, 1), 0.088);
  EXPECT_DOUBLE_EQ(Overlapped(0.080, 0.0, 32), 0.080);
}

TEST(SimulationTest, AegaeonInterleavesModelsAtTokenGranularity) {
  // 1 prefill + 1 decode instance; three models with long outputs arriving together. The decode
  // instance must rotate among them (several switches each), and every request completes.
  auto models = Models(3, 0.5);
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 200), Req(1, 1, 0.0, 200), Req(2, 2, 0.0, 200)};
  serving::ClusterSpec c = Cluster(2, 1);
  SimRun run = RunPolicy("aegaeon", models, c, reqs);
  for (const auto& r : reqs) {
    EXPECT_TRUE(r.done() && !r.failed()) << r.id;
    EXPECT_EQ(r.generated, 200);
  }
  int decode_switches = 0;
  for (const auto& s : run.policy->stats().switches) decode_switches += s.instance == 1;
  EXPECT_GT(decode_switches, 3);  // more than one visit per model: token-level, not per request
  // Every model got decode time before any finished: their second tokens all precede the first
  // request's last token.
  const double first_done =
      std::min({reqs[0].token_s.back(), reqs[1].token_s.back(), reqs[2].token_s.back()});
  for (const auto& r : reqs) EXPECT_LT(r.token_s[1], first_done);
  // Switch phases are recorded, including the first step after the switch.
  for (const auto& s : run.policy->stats().switches) {
    EXPECT_GE(s.phases.weights_in_s, 0.0);
    EXPECT_LE(s.phases.weights_in_s, 0.5 + 1e-12);
    EXPECT_GT(s.phases.first_step_s, 0.0);
  }
}

TEST(SimulationTest, ColocatedAegaeonPrefillsAndDecodesOnEveryInstance) {
  // Two instances that both prefill and decode, three models: every request completes and both
  // instances take prefill work (the placement sees each one's decode backlog).
  auto models = Models(3, 0.5);
  std::vector<ServingRequest> reqs;
  for (int i = 0; i < 9; ++i) reqs.push_back(Req(static_cast<uint64_t>(i), i % 3, 0.3 * i, 40));
  SimRun run = RunPolicy("aegaeon-colocated", models, Cluster(2, 0), reqs);
  for (const auto& r : reqs) {
    EXPECT_TRUE(r.done() && !r.failed()) << r.id;
    EXPECT_EQ(r.generated, 40);
  }
  const auto& busy = run.policy->stats().busy_s;
  ASSERT_EQ(busy.size(), 2u);
  EXPECT_GT(busy[0], 1.0);  // each did at least one prefill (1 s) besides decoding
  EXPECT_GT(busy[1], 1.0);
}

TEST(SimulationTest, AegaeonPrefetchHidesDecodeSwitches) {
  // Two models on one decode instance with long quotas: after the first round the next model's
  // weights are prefetched during the slice, so later switches load (almost) nothing.
  auto models = Models(2, 0.5);
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 300), Req(1, 1, 0.0, 300)};
  SimRun run = RunPolicy("aegaeon", models, Cluster(2, 1), reqs);
  int hidden = 0, decode = 0;
  for (const auto& s : run.policy->stats().switches) {
    if (s.instance != 1) continue;
    ++decode;
    hidden += s.phases.weights_in_s < 0.5;
  }
  EXPECT_GT(decode, 2);
  EXPECT_GE(hidden, decode - 2);
}

// The prefill tier prefetches too: while model 0's group prefills (1 s), the next queued group's
// model loads, so the switch to it pays only what the prefill did not hide (0.5 s load, none
// left), where the first switch paid the whole load.
TEST(SimulationTest, AegaeonPrefillPrefetchesTheNextGroupsModel) {
  auto models = Models(2, 0.5);
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 2), Req(1, 1, 0.0, 2)};
  SimRun run = RunPolicy("aegaeon", models, Cluster(2, 1), reqs);
  std::vector<double> prefill_loads;
  for (const auto& s : run.policy->stats().switches) {
    if (s.instance == 0) prefill_loads.push_back(s.phases.weights_in_s);
  }
  ASSERT_EQ(prefill_loads.size(), 2u);
  EXPECT_DOUBLE_EQ(prefill_loads[0], 0.5);
  EXPECT_DOUBLE_EQ(prefill_loads[1], 0.0);
}

// A request joins the decode batch of its model when its KV fits beside it: two requests of one
// model prefilled at once decode as one batch (each step serves both), not one after the other.
TEST(SimulationTest, AegaeonJoinsSameModelRequestsIntoOneDecodeBatch) {
  auto models = Models(1, 0.5);
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 20), Req(1, 0, 0.5, 20)};
  SimRun run = RunPolicy("aegaeon", models, Cluster(2, 1), reqs);
  ASSERT_TRUE(reqs[0].finished && reqs[1].finished);
  // Overlapping token times: the second request's tokens come while the first still decodes.
  EXPECT_LT(reqs[1].token_s[1], reqs[0].token_s.back());
  // And at the same steps: its later tokens coincide with the first's.
  int shared = 0;
  for (double t : reqs[1].token_s) {
    shared += std::count(reqs[0].token_s.begin(), reqs[0].token_s.end(), t) > 0;
  }
  EXPECT_GT(shared, 10);
}

TEST(SimulationTest, AegaeonGivesModelsWithStricterSlosShorterGaps) {
  // Two models on one decode instance; model 0 has a TPOT SLO ten times stricter than model 1's.
  // Quotas follow each model's own SLO, so while both decode model 0 gets far more tokens; with
  // one SLO for both they get about as many.
  auto tokens_until = [](const ServingRequest& r, double t) {
    return static_cast<double>(
        std::count_if(r.token_s.begin(), r.token_s.end(), [t](double x) { return x <= t; }));
  };
  for (bool per_model : {false, true}) {
    auto models = Models(2, 0.2);
    if (per_model) {
      models[0].tpot_slo_s = 0.3;
      models[1].tpot_slo_s = 3.0;
    }
    std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 300), Req(1, 1, 0.0, 300)};
    serving::ClusterSpec c = Cluster(2, 1);
    c.slo.tpot_s = 1.0;
    RunPolicy("aegaeon", models, c, reqs);
    ASSERT_TRUE(reqs[0].done() && reqs[1].done());
    const double both_end = std::min(reqs[0].token_s.back(), reqs[1].token_s.back());
    const double ratio = tokens_until(reqs[0], both_end) / tokens_until(reqs[1], both_end);
    if (per_model) {
      EXPECT_GT(ratio, 3.0);
    } else {
      EXPECT_NEAR(ratio, 1.0, 0.35);
    }
  }
}

TEST(SimulationTest, MultiplexingRejectsWhatItCannotPlaceAndServesTheRest) {
  auto models = Models(3, 1.0, 30);  // 30 GB + 8 GB reserve each: two per 80 GB instance
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 4), Req(1, 1, 0.0, 4), Req(2, 2, 0.0, 4)};
  SimRun run = RunPolicy("multiplexing", models, Cluster(1, 0), reqs);
  EXPECT_TRUE(reqs[0].done() && !reqs[0].failed());
  EXPECT_TRUE(reqs[1].done() && !reqs[1].failed());
  EXPECT_TRUE(reqs[2].failed());
  EXPECT_EQ(reqs[2].reject, serving::RejectReason::kNotPlaced);
  EXPECT_EQ(run.policy->stats().rejected.at("not_placed"), 1);
}

TEST(SimulationTest, BoundedQueuesRejectWithAReason) {
  auto models = Models(1, 1.0);
  serving::ClusterSpec c = Cluster(2, 1);
  c.max_queue = 2;
  std::vector<ServingRequest> reqs;
  for (int i = 0; i < 5; ++i) reqs.push_back(Req(static_cast<uint64_t>(i), 0, 0.0, 2));
  SimRun run = RunPolicy("aegaeon", models, c, reqs);
  int rejected = 0, completed = 0;
  for (const auto& r : reqs) {
    if (r.failed()) {
      ++rejected;
      EXPECT_EQ(r.reject, serving::RejectReason::kQueueFull);
    } else {
      completed += r.generated == 2;
    }
  }
  EXPECT_EQ(rejected, 3);
  EXPECT_EQ(completed, 2);
}

TEST(SimulationTest, AClusterRoutesEachArrivalToTheNodeItsRouteNames) {
  // Two nodes of two instances (1 prefill + 1 decode), each its own Aegaeon policy.
  auto models = Models(4, 0.5);
  std::vector<std::unique_ptr<serving::Policy>> policies;
  std::vector<std::vector<std::unique_ptr<serving::Executor>>> execs(2);
  std::vector<SimNode> nodes;
  for (int k = 0; k < 2; ++k) {
    auto policy = serving::MakePolicy("aegaeon", models, Cluster(2, 1));
    ASSERT_TRUE(policy.ok());
    policies.push_back(std::move(*policy));
    for (int i = 0; i < 2; ++i) execs[k].push_back(std::make_unique<SimExecutor>(&models, 0.0));
  }
  for (int k = 0; k < 2; ++k) nodes.push_back({policies[k].get(), &execs[k]});
  auto requests = [] {
    std::vector<ServingRequest> r;
    for (int i = 0; i < 40; ++i) r.push_back(Req(i, i % 4, 0.25 * i, 5));
    return r;
  };
  // Everything to node 1: node 0 never works.
  std::vector<ServingRequest> all_one = requests();
  VirtualClock c1;
  std::vector<std::vector<int64_t>> seen_waiting;
  SimulateCluster(
      nodes, all_one, c1, 1e6, 4,
      [&](const ServingRequest&, std::vector<SimNodeState>& s) {
        seen_waiting.push_back(s[1].waiting);
        return 1;
      },
      0.5);
  for (const auto& r : all_one) EXPECT_TRUE(r.done() && !r.failed()) << r.id;
  for (double b : policies[0]->stats().busy_s) EXPECT_EQ(b, 0.0);
  EXPECT_GT(policies[1]->stats().busy_s[1], 0.0);
  // The states the route sees: the node's waiting requests per model, as last refreshed.
  ASSERT_EQ(seen_waiting.size(), 40u);
  EXPECT_EQ(seen_waiting[0], (std::vector<int64_t>{0, 0, 0, 0}));
}

TEST(ExperimentTest, ProxyRoutingRunsASchedulerPerNode) {
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/route-lengths.csv")
      << "Request Time,Model Name,Input Length,Output Length\n00:00:01.000,a,100,50\n";
  auto experiment = [&](const std::string& routing) {
    const std::string path = dir + "/route.json";
    std::ofstream(path) << fmt::format(R"({{"cluster": {{"gpu": "H800", "nodes": 4,
      "gpus_per_node": 2, "prefill_per_node": 1, "decode_per_node": 1, "routing": "{}"}},
      "models": [{{"name": "x", "shape": "llama-7b"}}],
      "slo": {{"ttft_s": 10, "tpot_s": 0.1}},
      "workload": {{"lengths": "route-lengths.csv", "duration_s": 120}},
      "sweep": {{"num_models": 8, "rate_per_model": 0.2}}}})",
                                       routing);
    return LoadExperiment(path);
  };
  auto proxy = Experiment::Load(*experiment("proxy"));
  auto pool = Experiment::Load(*experiment("pool"));
  ASSERT_TRUE(proxy.ok() && pool.ok());
  auto a = proxy->RunPoint("aegaeon", 8, 0.2), b = pool->RunPoint("aegaeon", 8, 0.2);
  ASSERT_TRUE(a.ok() && b.ok()) << a.message() << b.message();
  EXPECT_EQ(a->requests, b->requests);
  EXPECT_EQ(a->unfinished, 0);
  EXPECT_EQ(a->rejected, 0);
  EXPECT_GT(a->summary.slo_attainment, 0.9);
  EXPECT_GT(a->switches, 0);
  // Four schedulers of one prefill instance each take every request of their own.
  EXPECT_NE(a->summary.ttft_s.p50, b->summary.ttft_s.p50);
  auto bad = experiment("round-robin");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("cluster.routing is 'round-robin'"), std::string::npos)
      << bad.message();
}

TEST(SimulationTest, UnfinishedRequestsFailWhenTheSimulationStops) {
  auto models = Models(1, 1.0);
  std::vector<ServingRequest> reqs{Req(0, 0, 0.0, 1000)};
  auto policy = serving::MakePolicy("dedicated", models, Cluster(1, 0));
  std::vector<std::unique_ptr<serving::Executor>> execs;
  execs.push_back(std::make_unique<SimExecutor>(&models));
  VirtualClock clock;
  const SimulationOutcome out = Simulate(**policy, execs, reqs, clock, 5.0);
  EXPECT_EQ(out.unfinished, 1);
  EXPECT_TRUE(reqs[0].failed());
  EXPECT_LE(clock.Now(), 5.0);
}

TEST(WorkloadTest, PoissonCountsAndDeterminism) {
  std::vector<LengthPair> lengths{{100, 10}, {200, 20}};
  WorkloadSpec w;
  w.num_models = 10;
  w.rate_per_model = 0.5;
  w.duration_s = 1000;
  auto a = GenerateWorkload(w, lengths);
  auto b = GenerateWorkload(w, lengths);
  ASSERT_TRUE(a.ok());
  // 5000 expected arrivals; 5 standard deviations is about 350.
  EXPECT_NEAR(static_cast<double>(a->size()), 5000.0, 350.0);
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].arrival_s, (*b)[i].arrival_s);
    EXPECT_EQ((*a)[i].model, (*b)[i].model);
    if (i > 0) {
      EXPECT_LE((*a)[i - 1].arrival_s, (*a)[i].arrival_s);
    }
  }
  w.arrivals = ArrivalKind::kGamma;
  w.cv = 3.0;
  auto g = GenerateWorkload(w, lengths);
  ASSERT_TRUE(g.ok());
  EXPECT_NEAR(static_cast<double>(g->size()), 5000.0, 1000.0);  // bursty: wider spread
  w.arrivals = ArrivalKind::kServeGen;
  w.duration_s = 3600;
  auto s = GenerateWorkload(w, lengths);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_NEAR(static_cast<double>(s->size()), 18000.0, 3000.0);  // the mean rate is kept
  // Skewed: the same total, but the models keep their clients' sizes: model 0 follows the busiest
  // client and gets several times the mean, the models of the smallest clients a fraction of it.
  w.servegen_skewed = true;
  auto k = GenerateWorkload(w, lengths);
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_NEAR(static_cast<double>(k->size()), 18000.0, 3000.0);
  std::vector<int> per_model(10, 0), equal_per_model(10, 0);
  for (const auto& r : *k) ++per_model[static_cast<size_t>(r.model)];
  for (const auto& r : *s) ++equal_per_model[static_cast<size_t>(r.model)];
  const auto [lo, hi] = std::minmax_element(per_model.begin(), per_model.end());
  // Model 0 follows the busiest client (as does every model m with m mod K == 0, K the clients
  // active throughout): several times the mean, within noise of the most of any model.
  EXPECT_GT(per_model[0], 3 * 1800);
  EXPECT_GT(per_model[0], *hi * 0.8);
  EXPECT_LT(*lo, 1800 / 5);
  const auto [elo, ehi] = std::minmax_element(equal_per_model.begin(), equal_per_model.end());
  EXPECT_LT(*ehi, 3 * *elo);  // equal rates: no model far from another
}

TEST(WorkloadTest, ArtifactTraceErrorsNameTheLine) {
  const std::string path = testing::TempDir() + "/bad-synth.csv";
  {
    std::ofstream f(path);
    f << "Request Time,Model Name,Input Length,Output Length\n00:00:01.000,a,10,5\n"
         "00:00:02.000,b,x,5\n";
  }
  auto r = LoadWorkloadTrace(path, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find(":3: lengths must be integers"), std::string::npos) << r.message();
}

// A trace naming a model that is not served is an error that names it, not folded onto another.
TEST(WorkloadTest, ATraceNamingAnUnservedModelIsAnError) {
  const std::string path = testing::TempDir() + "/three-models.csv";
  std::ofstream(path) << "Request Time,Model Name,Input Length,Output Length\n"
                         "00:00:01.000,a,10,5\n00:00:02.000,b,10,5\n00:00:03.000,zzz,10,5\n";
  auto served = LoadWorkloadTrace(path, 3);
  ASSERT_TRUE(served.ok()) << served.message();
  EXPECT_EQ(served->back().model, 2);
  auto r = LoadWorkloadTrace(path, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("names model 'zzz'"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("2 models are served"), std::string::npos) << r.message();
}

TEST(ExperimentTest, BadConfigurationsGiveClearErrors) {
  const std::string dir = testing::TempDir();
  auto write = [&](const std::string& name, const std::string& body) {
    std::ofstream(dir + "/" + name) << body;
    return dir + "/" + name;
  };
  const std::string lengths = write("lengths.csv",
                                    "Request Time,Model Name,Input Length,Output Length\n"
                                    "00:00:01.000,a,100,50\n");
  auto base = [&](const std::string& gpu, const std::string& shape, const std::string& mem) {
    return fmt::format(R"({{"cluster": {{"gpu": "{}", "nodes": 1, "gpus_per_node": 2,
      "prefill_per_node": 1, "decode_per_node": 1{}}},
      "models": [{{"name": "x", "shape": "{}"}}],
      "workload": {{"lengths": "lengths.csv", "duration_s": 10}},
      "sweep": {{"num_models": 2, "rate_per_model": 0.1}}}})",
                       gpu, mem, shape);
  };
  auto gpu = Experiment::Load(*LoadExperiment(write("e1.json", base("Z80", "llama-7b", ""))));
  ASSERT_FALSE(gpu.ok());
  EXPECT_NE(gpu.message().find("unknown GPU 'Z80'"), std::string::npos);
  auto shape = Experiment::Load(*LoadExperiment(write("e2.json", base("H800", "gpt-9", ""))));
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.message().find("unknown shape 'gpt-9'"), std::string::npos);
  // A 13B model (26 GB of fp16 weights) on 20 GB instances.
  auto small = Experiment::Load(
      *LoadExperiment(write("e3.json", base("H800", "llama-13b", R"(, "memory_gb": 20)"))));
  ASSERT_TRUE(small.ok()) << small.message();
  auto point = small->RunPoint("aegaeon", 2, 0.1);
  ASSERT_FALSE(point.ok());
  EXPECT_NE(point.message().find("needs 26.0 GB"), std::string::npos) << point.message();
  auto typo = LoadExperiment(write("e4.json", R"({"clustr": {}})"));
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.message().find("unknown key 'clustr'"), std::string::npos);
  auto cluster_typo =
      LoadExperiment(write("e6.json", base("H800", "llama-7b", R"(, "load_eficiency": 0.5)")));
  ASSERT_FALSE(cluster_typo.ok());
  EXPECT_NE(cluster_typo.message().find("unknown key 'load_eficiency' in cluster"),
            std::string::npos)
      << cluster_typo.message();
  auto model_typo = LoadExperiment(write("e9.json", R"({"cluster": {}, "models": [{"name": "x",
      "shape": "llama-7b", "cuont": 2}]})"));
  ASSERT_FALSE(model_typo.ok());
  EXPECT_NE(model_typo.message().find("unknown key 'cuont' in a model type"), std::string::npos)
      << model_typo.message();
  auto workload_typo = LoadExperiment(write("e10.json", R"({"cluster": {}, "models": [],
      "workload": {"arrival": "gamma"}})"));
  ASSERT_FALSE(workload_typo.ok());
  EXPECT_NE(workload_typo.message().find("unknown key 'arrival' in workload"), std::string::npos)
      << workload_typo.message();
  auto rates = LoadExperiment(write("e11.json", R"({"cluster": {},
      "models": [{"name": "x", "shape": "llama-7b"}], "workload": {"servegen_rates": "zipf"}})"));
  ASSERT_FALSE(rates.ok());
  EXPECT_NE(rates.message().find("servegen_rates must be 'equal' or 'skewed', not 'zipf'"),
            std::string::npos)
      << rates.message();
  auto negative = LoadExperiment(
      write("e7.json", base("H800", "llama-7b", R"(, "baseline_engine_start_s": -1)")));
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.message().find("baseline_engine_start_s must be a number of seconds >= 0"),
            std::string::npos)
      << negative.message();
  // A stock engine's start is charged to the baselines' switches only.
  auto stock = Experiment::Load(*LoadExperiment(
      write("e8.json", base("H800", "llama-7b", R"(, "baseline_engine_start_s": 5)"))));
  ASSERT_TRUE(stock.ok()) << stock.message();
  for (const std::string policy : {"request-level", "aegaeon"}) {
    auto sp = stock->RunPoint(policy, 2, 0.5);
    ASSERT_TRUE(sp.ok()) << sp.message();
    ASSERT_GT(sp->switches, 0) << policy;
    EXPECT_DOUBLE_EQ(sp->mean_switch.engine_start_s, policy == "aegaeon" ? 0.0 : 5.0) << policy;
  }
  EXPECT_TRUE(RunsOnStockEngine("request-level-plus"));
  EXPECT_TRUE(RunsOnStockEngine("dedicated"));
  EXPECT_FALSE(RunsOnStockEngine("aegaeon-colocated"));
  // A roofline-only experiment runs and every request completes.
  auto ok = Experiment::Load(*LoadExperiment(write("e5.json", base("H800", "llama-7b", ""))));
  ASSERT_TRUE(ok.ok()) << ok.message();
  auto p = ok->RunPoint("aegaeon", 2, 0.5);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->summary.failed, 0);
  EXPECT_EQ(p->summary.completed, p->requests);
}

TEST(ExperimentTest, ModelTypesMayHaveTheirOwnSlos) {
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/slo-lengths.csv") << "Request Time,Model Name,Input Length,Output Length\n"
                                             "00:00:01.000,a,100,50\n";
  auto experiment = [&](const std::string& strict_slo) {
    const std::string path = dir + "/slo.json";
    std::ofstream(path) << fmt::format(R"({{"cluster": {{"gpu": "H800", "nodes": 1,
      "gpus_per_node": 2, "prefill_per_node": 1, "decode_per_node": 1}},
      "models": [{{"name": "strict", "shape": "llama-7b"{}}}, {{"name": "loose", "shape": "llama-7b"}}],
      "slo": {{"ttft_s": 10, "tpot_s": 0.1}},
      "workload": {{"lengths": "slo-lengths.csv", "duration_s": 60}},
      "sweep": {{"num_models": 2, "rate_per_model": 0.1}}}})",
                                       strict_slo);
    return LoadExperiment(path);
  };
  auto own = Experiment::Load(*experiment(R"(, "slo": {"tpot_s": 0.0001})"));
  ASSERT_TRUE(own.ok()) << own.message();
  auto models = own->Models(2);
  ASSERT_TRUE(models.ok());
  EXPECT_EQ((*models)[0].tpot_slo_s, 0.0001);  // its own, for the decode quotas
  EXPECT_EQ((*models)[1].tpot_slo_s, 0.0);     // the cluster's
  auto plain = Experiment::Load(*experiment(""));
  ASSERT_TRUE(plain.ok());
  auto a = own->RunPoint("aegaeon", 2, 0.1), b = plain->RunPoint("aegaeon", 2, 0.1);
  ASSERT_TRUE(a.ok() && b.ok());
  // The same run judged by the strict model's own SLO: its requests (half) miss it.
  EXPECT_GT(b->summary.conventional_attainment, 0.9);
  EXPECT_LT(a->summary.conventional_attainment, 0.6);
  auto bad = experiment(R"(, "slo": {"tpot_s": 0})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("model strict: slo ttft_s and tpot_s must be > 0"),
            std::string::npos);
}

TEST(ExperimentTest, AMeasuredProfileAndAPresetReplayWhatBenchSends) {
  const std::string dir = testing::TempDir();
  serving::ModelLatency small;
  small.model = "small";
  small.prefill = {0.01, 1e-3, 0};
  small.decode = {0.02, 0, 5e-3};
  small.load_s = 0.05;
  small.kv_move_bytes_per_s = 1e10;
  small.weight_bytes = 100 << 20;
  small.kv_bytes_per_token = 1 << 14;
  serving::ModelLatency big = small;
  big.model = "big";
  big.decode = {0.2, 0, 5e-3};  // ten times slower steps
  big.weight_bytes = 300 << 20;
  std::ofstream(dir + "/cpu.json") << serving::LatencyProfileJson({small, big});
  auto write = [&](const std::string& cluster_extra, const std::string& sweep) {
    const std::string path = dir + "/measured.json";
    std::ofstream(path) << fmt::format(R"({{"cluster": {{"nodes": 1, "gpus_per_node": 2,
      "prefill_per_node": 1, "decode_per_node": 1, "latency_profile": "cpu.json"{}}},
      "models": [{{"name": "a", "profile": "small"}}, {{"name": "b", "profile": "big"}},
                 {{"name": "small"}}],
      "slo": {{"ttft_s": 10, "tpot_s": 0.5}},
      "workload": {{"preset": "language", "duration_s": 30, "seed": 3, "max_input": 64,
                    "max_output": 32}},
      "sweep": {{"num_models": 3, {}}}}})",
                                       cluster_extra, sweep);
    return LoadExperiment(path);
  };
  auto spec = write(R"(, "memory_mib": 512)", R"("rate": [1, 4])");
  ASSERT_TRUE(spec.ok()) << spec.message();
  EXPECT_TRUE(spec->rates_in_all);
  auto ex = Experiment::Load(*spec);
  ASSERT_TRUE(ex.ok()) << ex.message();
  // The models are the profile's entries under the experiment's names, sized as measured.
  auto models = ex->Models(3);
  ASSERT_TRUE(models.ok()) << models.message();
  EXPECT_EQ((*models)[0].name, "a");
  EXPECT_EQ((*models)[1].name, "b");
  EXPECT_EQ((*models)[2].name, "small");
  EXPECT_EQ((*models)[1].weight_bytes, 300 << 20);
  EXPECT_EQ((*models)[0].kv_bytes_per_token, 1 << 14);
  EXPECT_DOUBLE_EQ((*models)[1].latency->DecodeSeconds(0, 1), 0.205);
  EXPECT_DOUBLE_EQ((*models)[0].latency->LoadSeconds(), 0.05);

  // The requests are the preset's at the rate in all, clipped as bench clips them.
  auto trace = servegen::GeneratePresetTrace("language", 4, 30, 3);
  ASSERT_TRUE(trace.ok());
  auto p = ex->RunPoint("aegaeon", 3, 4, /*keep_timings=*/true);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->rate, 4);
  EXPECT_DOUBLE_EQ(p->rate_per_model, 4.0 / 3);
  EXPECT_EQ(p->requests, static_cast<int64_t>(trace->batch.requests.size()));
  EXPECT_EQ(p->summary.completed + p->summary.failed, p->requests);
  ASSERT_EQ(p->timings.size(), trace->batch.requests.size());
  int slow = 0;
  for (size_t i = 0; i < p->timings.size(); ++i) {
    const std::vector<double>& tokens = p->timings[i].token_s;
    EXPECT_LE(tokens.size(), 32u);
    // Model b's steps take 0.2 s and more: none of its tokens come sooner after the last.
    if (servegen::ModelOfRequest(*trace, i, 3) != 1) continue;
    for (size_t k = 1; k < tokens.size(); ++k, ++slow) {
      EXPECT_GE(tokens[k] - tokens[k - 1], 0.2 - 1e-9) << i << " " << k;
    }
  }
  EXPECT_GT(slow, 0);

  // What is missing or wrong is named.
  auto no_memory = Experiment::Load(*write("", R"("rate": 1)"));
  ASSERT_FALSE(no_memory.ok());
  EXPECT_NE(no_memory.message().find("cluster.memory_mib"), std::string::npos)
      << no_memory.message();
  auto both = write(R"(, "memory_mib": 512)", R"("rate": 1, "rate_per_model": 1)");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.message().find("'rate_per_model' or 'rate'"), std::string::npos) << both.message();
  std::ofstream(dir + "/cpu.json") << serving::LatencyProfileJson({small});
  auto missing = Experiment::Load(*write(R"(, "memory_mib": 512)", R"("rate": 1)"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("model b: no entry 'big'"), std::string::npos)
      << missing.message();
}

TEST(ExperimentTest, PaperSweepPointOnTheArtifactProfiles) {
  const std::string path = std::string(LLMS_SOURCE_DIR) + "/experiments/paper-sweep-a.json";
  if (!std::filesystem::exists(std::string(LLMS_SHARED_DIR) + "/data/aegaeon-profiles")) {
    GTEST_SKIP() << "needs ../shared/data/aegaeon-profiles (present in CI)";
  }
  auto spec = LoadExperiment(path);
  ASSERT_TRUE(spec.ok()) << spec.message();
  spec->workload.duration_s = 120;
  auto ex = Experiment::Load(*spec);
  ASSERT_TRUE(ex.ok()) << ex.message();
  // At 16 models every policy that can place them serves (nearly) everything within the SLOs.
  for (const std::string policy : {"aegaeon", "request-level", "multiplexing"}) {
    auto p = ex->RunPoint(policy, 16, 0.1);
    ASSERT_TRUE(p.ok()) << p.message();
    EXPECT_EQ(p->summary.failed, 0) << policy;
    EXPECT_GT(p->summary.slo_attainment, 0.95) << policy;
  }
  // At 80 models the dedicated baseline can place only 16 and rejects the rest.
  auto d = ex->RunPoint("dedicated", 80, 0.1);
  ASSERT_TRUE(d.ok());
  EXPECT_GT(d->rejected, 0);
  EXPECT_EQ(d->rejected_by_reason.at("not_placed"), d->rejected);
}

TEST(ExperimentTest, ArtifactStreamsGiveThePapersRatioWhenBaselinesPayAStockEngineStart) {
  if (!std::filesystem::exists(std::string(LLMS_SHARED_DIR) + "/data/aegaeon-workloads")) {
    GTEST_SKIP() << "needs ../shared/data/aegaeon-workloads (present in CI)";
  }
  auto spec = LoadExperiment(std::string(LLMS_SOURCE_DIR) + "/experiments/artifact-sweep-a.json");
  ASSERT_TRUE(spec.ok()) << spec.message();
  EXPECT_EQ(spec->baseline_engine_start_s, 6.5);
  EXPECT_EQ(spec->load_efficiency, 0.4);
  auto ex = Experiment::Load(*spec);
  ASSERT_TRUE(ex.ok()) << ex.message();
  auto attainment = [&](const std::string& policy, int n) {
    auto p = ex->RunPoint(policy, n, 0.1);
    EXPECT_TRUE(p.ok()) << p.message();
    return p.ok() ? p->summary.slo_attainment : 0.0;
  };
  // What docs/sim.md reports, the calibration itself: with a 6.5 s start request-level serves
  // the artifact's 32 models, not 34; with weights loading at 0.4 of the link Aegaeon serves 64
  // (the artifact: 68), twice as many.
  EXPECT_GE(attainment("request-level", 32), 0.9);
  EXPECT_LT(attainment("request-level", 34), 0.9);
  EXPECT_GE(attainment("aegaeon", 64), 0.9);
  EXPECT_LT(attainment("aegaeon", 66), 0.9);
}

}  // namespace
}  // namespace llms::sim
