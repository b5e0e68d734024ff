// Tests for the fitter and the pool writer: a workload generated from a known pool is fitted back
// (rates, shapes, law choice, lengths), pools round-trip through the ServeGen layout, and logs
// without client ids become one client.
#include "servegen/fitter.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "servegen/generator.h"
#include "servegen/pool_loader.h"
#include "servegen/pool_writer.h"
#include "servegen/test_pools.h"

namespace llms::servegen {
namespace {

Trace Generated(const ClientPool& pool, double duration, uint64_t seed) {
  Trace t;
  t.category = pool.category;
  t.has_client_ids = true;
  for (const auto& c : pool.clients) t.clients.push_back(c.id);
  GenerateOptions o;
  o.duration = duration;
  o.seed = seed;
  auto rate = *BuildRateFunction(*ParseRateSpec("trace"), pool, 0, duration);
  auto s = Generate(pool, rate, o, [&](const RequestBatch& b) {
    t.batch.requests.insert(t.batch.requests.end(), b.requests.begin(), b.requests.end());
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok());
  return t;
}

TEST(FitterTest, RecoversRatesShapesAndLaws) {
  auto pool = testing::UniformPool(2, 4, 2.0, 0.4);               // Gamma(0.4) at 2 and 4 req/s
  pool.clients[1].windows[3].pattern = ArrivalPattern::kWeibull;  // one Weibull(0.6) window
  pool.clients[1].windows[3].shape = 0.6;
  auto fitted = FitPool(Generated(pool, 2400, 1), FitOptions{});
  ASSERT_TRUE(fitted.ok()) << fitted.message();
  ASSERT_EQ(fitted->clients.size(), 2u);
  EXPECT_EQ(fitted->clients[0].id, "c1");  // ordered by request count
  for (size_t k = 0; k < 4; ++k) {
    const TraceWindow& w = fitted->clients[0].windows[k];
    EXPECT_NEAR(w.rate / 4.0, 1.0, 0.15) << k;
    if (k < 3) {
      EXPECT_EQ(w.pattern, ArrivalPattern::kGamma) << k;
      EXPECT_NEAR(w.shape / 0.4, 1.0, 0.15) << k;
    } else {
      EXPECT_EQ(w.pattern, ArrivalPattern::kWeibull);
      EXPECT_NEAR(w.shape / 0.6, 1.0, 0.15);
    }
  }
  const auto* out = fitted->clients[1].lengths[0].Get(LengthField::kOutputTokens);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->values(), (std::vector<double>{10, 20, 30, 40}));
}

TEST(FitterTest, LogWithoutClientIdsIsOneClient) {
  Trace t;
  t.clients = {"all"};
  for (int i = 0; i < 100; ++i) {
    Request r;
    r.timestamp = i * 0.5;
    r.input_tokens = 10 + i % 3;
    r.output_tokens = 5;
    t.batch.requests.push_back(r);
  }
  FitSummary summary;
  auto pool = FitPool(t, FitOptions{}, &summary);
  ASSERT_TRUE(pool.ok());
  ASSERT_EQ(pool->clients.size(), 1u);
  EXPECT_EQ(pool->clients[0].id, "all");
  EXPECT_NEAR(pool->clients[0].windows[0].rate, 100.0 / 600, 1e-12);
  ASSERT_EQ(pool->notes.size(), 1u);
  EXPECT_NE(pool->notes[0].find("no client ids"), std::string::npos);
  EXPECT_DOUBLE_EQ(summary.resolution, 0.5);
}

TEST(FitterTest, RejectsBadOptions) {
  Trace empty;
  EXPECT_FALSE(FitPool(empty, FitOptions{}).ok());
  Trace one;
  one.clients = {"a"};
  one.batch.requests.push_back(Request{});
  FitOptions bad;
  bad.rate_multiplier = 0;
  EXPECT_FALSE(FitPool(one, bad).ok());
}

TEST(PoolWriterTest, RoundTripsThroughTheServeGenLayout) {
  auto pool = testing::UniformPool(3, 4, 1.0, 0.7);
  pool.clients[1].windows[2] = TraceWindow{};  // an inactive window
  pool.clients[2].id = "tenant,with comma";
  const std::string dir = ::testing::TempDir() + "/pool_rt";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WritePool(pool, dir, 21600).ok());
  LoadOptions all;
  all.validate_all = true;
  auto loaded = LoadPoolFromDirectory(dir, all);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  ASSERT_EQ(loaded->clients.size(), 3u);
  EXPECT_EQ(loaded->clients[2].id, "tenant,with comma");
  for (size_t i = 0; i < 3; ++i) {
    for (size_t k = 0; k < 4; ++k) {
      const TraceWindow &a = pool.clients[i].windows[k], &b = loaded->clients[i].windows[k];
      EXPECT_EQ(a.active(), b.active());
      EXPECT_EQ(a.rate, b.rate);  // shortest round-trip formatting: exact
      EXPECT_EQ(a.shape, b.shape);
    }
    EXPECT_EQ(loaded->clients[i].lengths[0].Get(LengthField::kInputTokens)->values(),
              pool.clients[i].lengths[0].Get(LengthField::kInputTokens)->values());
  }
}

TEST(PoolWriterTest, PythonLiteralSpelling) {
  EXPECT_EQ(FormatPyDictLiteral(testing::Dist({{224, 0.25}, {225, 0.75}}), false),
            "{224: 0.25, 225: 0.75}");
  EXPECT_EQ(FormatPyDictLiteral(testing::Dist({{0, 0.5}, {1, 0.5}}), true), "{0.0: 0.5, 1.0: 0.5}");
}

}  // namespace
}  // namespace llms::servegen
