// Tests for the fidelity report: KS distance on hand-worked discrete cases, a workload compared
// with itself, and a workload compared with the model it came from.
#include "servegen/fidelity_report.h"

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "servegen/fidelity_html.h"
#include "servegen/generator.h"
#include "servegen/test_pools.h"

namespace llms::servegen {
namespace {

TEST(FidelityReportTest, KsDistanceOnDiscreteDistributions) {
  auto a = DiscreteCdf::FromSorted({1, 2, 2, 3});  // F(1)=.25 F(2)=.75 F(3)=1
  auto b = DiscreteCdf::FromSorted({2, 2, 3, 3});  // F(1)=0 F(2)=.5 F(3)=1
  EXPECT_DOUBLE_EQ(KsDistance(a, b), 0.25);
  EXPECT_DOUBLE_EQ(KsDistance(a, a), 0.0);
  auto d = testing::Dist({{1, 0.25}, {2, 0.5}, {3, 0.25}});
  auto mix = DiscreteCdf::Mixture({{&d, 1.0}});
  EXPECT_DOUBLE_EQ(KsDistance(a, mix), 0.0);
  EXPECT_DOUBLE_EQ(KsDistance(a, DiscreteCdf{}), 1.0);
}

// D6: the plotted points, drawn as steps, are within 1/n of the CDF at every value; keeping
// every k-th point drew a model curve at 0.037 where the CDF was 0.125.
TEST(FidelityReportTest, PlottedCdfStepsStayWithinOneOverNOfTheCdf) {
  std::vector<double> xs;
  for (int v = 1; v <= 3000; ++v) {
    const int copies = v == 3 ? 300 : (v % 7 == 0 ? 3 : 1);  // a big step at 3 tokens
    for (int c = 0; c < copies; ++c) xs.push_back(v);
  }
  const DiscreteCdf cdf = DiscreteCdf::FromSorted(xs);
  const auto pts = cdf.Points(400);
  EXPECT_LE(pts.size(), 801u);  // at most 2n + 1
  EXPECT_EQ(pts.back().first, 3000);
  // The step function through the points, at every support value.
  auto drawn = [&](double x) {
    double y = 0;
    for (const auto& [px, py] : pts) {
      if (px > x) break;
      y = py;
    }
    return y;
  };
  for (size_t i = 0; i < cdf.values.size(); ++i)
    EXPECT_LE(std::fabs(drawn(cdf.values[i]) - cdf.cdf[i]), 1.0 / 400 + 1e-12) << cdf.values[i];
  EXPECT_DOUBLE_EQ(drawn(3), cdf.At(3));
}

// D8: the KS max leaves out clients too small for it and names the client and its sample size.
TEST(FidelityReportTest, KsMaxComesWithItsClientAndSampleSize) {
  WorkloadStats w, ref;
  w.window = ref.window = 600;
  w.duration = ref.duration = 600;
  w.window_counts = ref.window_counts = {0};
  auto client = [](const std::string& id, int n, double shift) {
    ClientStats c;
    c.id = id;
    c.requests = n;
    for (int i = 0; i < n; ++i) {
      c.input.push_back(100 + i + shift);
      c.output.push_back(10 + i % 5);
    }
    return c;
  };
  w.clients = {client("big", 400, 40), client("tiny", 6, 500)};
  ref.clients = {client("big", 400, 0), client("tiny", 6, 0)};
  w.requests = ref.requests = 406;
  const FidelityReport r = CompareWorkloads(w, ref);
  EXPECT_EQ(r.ks_input_max_client, "big");
  EXPECT_EQ(r.ks_input_max_n, 400);
  EXPECT_NEAR(r.ks_input_max, 0.1, 1e-9);  // 40 of 400 shifted out
  EXPECT_EQ(r.ks_small_clients, 1);        // tiny: KS 1 with 6 requests, left out of the max
  EXPECT_EQ(r.ks_clients, 2);
  EXPECT_EQ(r.ks_weighted_n, 406);
  const auto j = nlohmann::json::parse(FidelityReportJson(r));
  EXPECT_EQ(j["summary"]["ks_input_max_requests"], 400);
  EXPECT_EQ(j["summary"]["ks_clients_too_small_for_max"], 1);
  const std::string html = RenderFidelityHtml(r);
  EXPECT_NE(html.find("(client big, n = 400)"), std::string::npos);
  EXPECT_NE(html.find("left out of the KS max"), std::string::npos);
}

Trace Sample(const ClientPool& pool, const RateFunction& rate, double duration, uint64_t seed) {
  Trace t;
  for (const auto& c : pool.clients) t.clients.push_back(c.id);
  GenerateOptions o;
  o.duration = duration;
  o.seed = seed;
  auto s = Generate(pool, rate, o, [&](const RequestBatch& b) {
    t.batch.requests.insert(t.batch.requests.end(), b.requests.begin(), b.requests.end());
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok());
  return t;
}

TEST(WorkloadStatsTest, PeriodicAndClumpedStreams) {
  Trace regular;
  regular.clients = {"a"};
  for (int i = 0; i < 3600; ++i) {
    Request r;
    r.timestamp = i + 0.5;
    regular.batch.requests.push_back(r);
  }
  auto s = ComputeWorkloadStats(regular, "regular", 0, 3600, 600);
  EXPECT_EQ(s.requests, 3600);
  EXPECT_EQ(s.window_counts, std::vector<double>(6, 600.0));
  for (double cv : s.cv_by_timescale) EXPECT_NEAR(cv, 0.0, 1e-9);
  for (double idc : s.idc) EXPECT_NEAR(idc, 0.0, 1e-9);
  // Pairs 1 ms apart every 2 s: gaps alternate 1 ms and 1.999 s. A 10 s bin holds 5 small and 4
  // large gaps (CV 1.1168); a 600 s bin nearly equal numbers (CV -> 1). Counts stay regular at 10
  // s.
  Trace pairs;
  pairs.clients = {"a"};
  for (int i = 0; i < 1800; ++i) {
    for (double d : {0.0, 0.001}) {
      Request r;
      r.timestamp = 2.0 * i + d;
      pairs.batch.requests.push_back(r);
    }
  }
  auto p = ComputeWorkloadStats(pairs, "pairs", 0, 3600, 600);
  EXPECT_NEAR(p.cv_by_timescale[0], 1.1168, 0.001);
  EXPECT_NEAR(p.cv_by_timescale[2], 1.0, 0.01);
  EXPECT_NEAR(p.idc[1], 0.0, 1e-9);
}

TEST(FidelityReportTest, WorkloadAgainstItselfIsPerfect) {
  auto pool = testing::UniformPool(3, 6, 1.0);
  auto w = ComputeWorkloadStats(Sample(pool, RateFunction::Constant(10, 3600), 3600, 1), "w", 0,
                                3600, 600);
  auto r = CompareWorkloads(w, w);
  EXPECT_DOUBLE_EQ(r.rate_mape, 0);
  EXPECT_DOUBLE_EQ(r.share_distance, 0);
  EXPECT_DOUBLE_EQ(r.ks_input_max, 0);
  EXPECT_DOUBLE_EQ(r.total_error, 0);
}

TEST(FidelityReportTest, WorkloadAgainstItsModel) {
  auto pool = testing::UniformPool(3, 6, 1.0, 1.0);
  auto rate = RateFunction::Constant(20, 3600);
  auto w = ComputeWorkloadStats(Sample(pool, rate, 3600, 1), "w", 0, 3600, 600);
  auto sample = ComputeWorkloadStats(Sample(pool, rate, 3600, 2), "s", 0, 3600, 600);
  auto r = CompareWithModel(w, pool, rate, 0, 3600, sample);
  EXPECT_DOUBLE_EQ(r.ref_requests, 72000);
  EXPECT_LT(r.rate_mape, 0.03);
  EXPECT_LT(r.share_distance, 0.01);
  EXPECT_LT(r.ks_input_max, 0.02);
  EXPECT_LT(r.ks_output_max, 0.02);
  ASSERT_EQ(r.clients.size(), 3u);
  EXPECT_NEAR(r.clients[0].ref_share, 0.5, 1e-12);  // c2 first: the busiest
  // A model that disagrees is caught: shift one client's lengths.
  auto other = pool;
  other.clients[2].lengths[0].fields[static_cast<int>(LengthField::kOutputTokens)] =
      testing::Dist({{99, 1.0}});
  auto bad = CompareWithModel(w, other, rate, 0, 3600, sample);
  EXPECT_GT(bad.ks_output_max, 0.9);
  // JSON and HTML carry the figures.
  auto j = nlohmann::json::parse(FidelityReportJson(r));
  EXPECT_EQ(j["reference"]["kind"], "model");
  EXPECT_EQ(j["clients"].size(), 3u);
  const std::string html = RenderFidelityHtml(r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained and static
}

}  // namespace
}  // namespace llms::servegen
