// Tests for the generator: expected counts per window (the process carries over boundaries and
// starts in equilibrium), reproducibility, independence from the thread count, client shares,
// length coupling, reasoning/multimodal fields and the reference-compatible mode.
#include "servegen/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/stats.h"
#include "servegen/test_pools.h"

namespace llms::servegen {
namespace {

struct Collected {
  std::vector<Request> requests;
  std::vector<int64_t> items;
};

Collected GenerateAll(const ClientPool& pool, const RateFunction& rate, GenerateOptions opt) {
  Collected out;
  auto s = Generate(pool, rate, opt, [&](const RequestBatch& b) {
    for (Request r : b.requests) {
      const uint32_t off = r.items_offset;
      r.items_offset = static_cast<uint32_t>(out.items.size());
      const size_t n = static_cast<size_t>(r.image_count) + r.audio_count + r.video_count;
      out.items.insert(out.items.end(), b.item_tokens.begin() + off,
                       b.item_tokens.begin() + off + static_cast<ptrdiff_t>(n));
      out.requests.push_back(r);
    }
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

GenerateOptions Opt(double duration, uint64_t seed) {
  GenerateOptions o;
  o.duration = duration;
  o.seed = seed;
  return o;
}

bool SameRequests(const Collected& a, const Collected& b) {
  if (a.requests.size() != b.requests.size()) return false;
  for (size_t i = 0; i < a.requests.size(); ++i) {
    const Request &x = a.requests[i], &y = b.requests[i];
    if (x.timestamp != y.timestamp || x.client != y.client || x.input_tokens != y.input_tokens ||
        x.output_tokens != y.output_tokens || x.window != y.window) {
      return false;
    }
  }
  return a.items == b.items;
}

TEST(GeneratorTest, OutputIsSortedInSpanAndLabelled) {
  auto pool = testing::UniformPool(3, 6, 0.5);
  auto c = GenerateAll(pool, RateFunction::Constant(5, 3600), Opt(3600, 1));
  ASSERT_GT(c.requests.size(), 1000u);
  for (size_t i = 0; i < c.requests.size(); ++i) {
    const Request& r = c.requests[i];
    ASSERT_GE(r.timestamp, 0);
    ASSERT_LT(r.timestamp, 3600);
    if (i) {
      ASSERT_LE(c.requests[i - 1].timestamp, r.timestamp);
    }
    ASSERT_LT(r.client, 3u);
    ASSERT_EQ(r.window, static_cast<uint32_t>(r.timestamp / 600));
    // Client i's lengths come from its own distribution.
    ASSERT_GE(r.input_tokens, 100 * (r.client + 1));
    ASSERT_LE(r.input_tokens, 100 * (r.client + 1) + 9);
  }
}

TEST(GeneratorTest, ExpectedCountPerWindowIsPreserved) {
  // Bursty Gamma(0.3) clients; the mean count over many seeds must match the rate in every
  // window, including the first (equilibrium start) and those after boundaries (carry-over).
  auto pool = testing::UniformPool(2, 6, 0.2, 0.3);
  auto rate = *RateFunction::FromBreakpoints({0, 1800, 3600}, {2, 6, 2});  // a ramp up and down
  std::vector<double> mean(6, 0.0);
  const int seeds = 200;
  for (int s = 0; s < seeds; ++s) {
    auto c = GenerateAll(pool, rate, Opt(3600, static_cast<uint64_t>(s)));
    for (const auto& r : c.requests) mean[r.window] += 1.0 / seeds;
  }
  for (size_t k = 0; k < 6; ++k) {
    const double expected = rate.Integral(600.0 * (k + 1)) - rate.Integral(600.0 * k);
    EXPECT_NEAR(mean[k] / expected, 1.0, 0.04)
        << "window " << k << " mean " << mean[k] << " expected " << expected;
  }
}

TEST(GeneratorTest, NoBurstAtWindowBoundariesUnlikeTheReference) {
  // A stationary process has the same intensity right after a boundary as anywhere else. The
  // reference restarts each window with an ordinary renewal (a burst for shape < 1); compat shows
  // it.
  auto pool = testing::UniformPool(1, 12, 1.0, 0.2);
  auto rate = RateFunction::Constant(1.0, 7200);
  auto after_boundary_ratio = [&](bool compat) {
    double near = 0, elsewhere = 0;
    for (int s = 0; s < 150; ++s) {
      GenerateOptions o = Opt(7200, static_cast<uint64_t>(s));
      o.compat = compat;
      for (const auto& r : GenerateAll(pool, rate, o).requests) {
        const double phase = std::fmod(r.timestamp, 600.0);
        if (phase < 5)
          near += 1;
        else if (phase >= 300 && phase < 305)
          elsewhere += 1;
      }
    }
    return near / elsewhere;
  };
  const double ours = after_boundary_ratio(false), reference = after_boundary_ratio(true);
  EXPECT_NEAR(ours, 1.0, 0.15);
  EXPECT_GT(reference, 1.2);
  RecordProperty("ratio_default", std::to_string(ours));
  RecordProperty("ratio_compat", std::to_string(reference));
}

TEST(GeneratorTest, SameSeedSameOutputAnyThreadCount) {
  auto pool = testing::UniformPool(7, 6, 0.3);
  auto rate = RateFunction::Constant(20, 3600);
  auto a = GenerateAll(pool, rate, Opt(3600, 42));
  auto b = GenerateAll(pool, rate, Opt(3600, 42));
  GenerateOptions threaded = Opt(3600, 42);
  threaded.threads = 4;
  auto c = GenerateAll(pool, rate, threaded);
  auto d = GenerateAll(pool, rate, Opt(3600, 43));
  EXPECT_TRUE(SameRequests(a, b));
  EXPECT_TRUE(SameRequests(a, c));
  EXPECT_FALSE(SameRequests(a, d));
}

TEST(GeneratorTest, SharesFollowTraceRatesAndScaling) {
  auto pool = testing::UniformPool(3, 6, 1.0, 1.0);  // weights 1 : 2 : 3
  auto rate = RateFunction::Constant(60, 3600);
  std::vector<double> counts(3, 0);
  auto c = GenerateAll(pool, rate, Opt(3600, 5));
  for (const auto& r : c.requests) counts[r.client] += 1;
  const double total = counts[0] + counts[1] + counts[2];
  EXPECT_NEAR(counts[0] / total, 1.0 / 6, 0.01);
  EXPECT_NEAR(counts[2] / total, 3.0 / 6, 0.01);
  // With the trace's own totals, doubling one client doubles its count and leaves the others.
  pool.clients[2].rate_scale = 2.0;
  auto trace = *BuildRateFunction(*ParseRateSpec("trace"), pool, 0, 3600);
  std::vector<double> scaled(3, 0);
  for (const auto& r : GenerateAll(pool, trace, Opt(3600, 5)).requests) scaled[r.client] += 1;
  EXPECT_NEAR(scaled[2] / (3 * 3600 * 2), 1.0, 0.05);
  EXPECT_NEAR(scaled[0] / (1 * 3600), 1.0, 0.06);
}

double Spearman(std::vector<double> a, std::vector<double> b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return v[x] < v[y]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size();) {  // average ranks over ties
      size_t j = i;
      while (j < idx.size() && v[idx[j]] == v[idx[i]]) ++j;
      for (size_t k = i; k < j; ++k) r[idx[k]] = (i + j - 1) / 2.0;
      i = j;
    }
    return r;
  };
  auto ra = ranks(a), rb = ranks(b);
  const double ma = Mean(ra), mb = Mean(rb);
  double num = 0, da = 0, db = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) * (ra[i] - ma);
    db += (rb[i] - mb) * (rb[i] - mb);
  }
  return num / std::sqrt(da * db);
}

TEST(GeneratorTest, LengthCouplings) {
  auto pool = testing::UniformPool(1, 6, 1.0, 1.0);
  // Wide, continuous-ish distributions so rank correlations are well defined.
  std::vector<std::pair<double, double>> wide;
  for (int v = 1; v <= 1000; ++v) wide.emplace_back(v, 1.0 / 1000);
  pool.clients[0].lengths[0].fields[static_cast<int>(LengthField::kInputTokens)] =
      testing::Dist(wide);
  pool.clients[0].lengths[0].fields[static_cast<int>(LengthField::kOutputTokens)] =
      testing::Dist(wide);
  auto rate = RateFunction::Constant(5, 3600);
  auto corr = [&](Coupling c, double rho) {
    GenerateOptions o = Opt(3600, 9);
    o.coupling = c;
    o.rho = rho;
    std::vector<double> in, out;
    for (const auto& r : GenerateAll(pool, rate, o).requests) {
      in.push_back(static_cast<double>(r.input_tokens));
      out.push_back(static_cast<double>(r.output_tokens));
    }
    return Spearman(in, out);
  };
  EXPECT_GT(corr(Coupling::kComonotone, 0), 0.999);
  EXPECT_NEAR(corr(Coupling::kIndependent, 0), 0.0, 0.05);
  EXPECT_NEAR(corr(Coupling::kGaussianCopula, 0.8), 6 / M_PI * std::asin(0.4), 0.04);
  EXPECT_NEAR(corr(Coupling::kGaussianCopula, -0.5), 6 / M_PI * std::asin(-0.25), 0.04);
}

TEST(GeneratorTest, LengthsFollowTheClientsDistribution) {
  auto pool = testing::UniformPool(1, 6, 1.0, 1.0);
  auto c = GenerateAll(pool, RateFunction::Constant(10, 3600), Opt(3600, 3));
  std::map<int64_t, double> out;
  for (const auto& r : c.requests)
    out[r.output_tokens] += 1.0 / static_cast<double>(c.requests.size());
  for (int v : {10, 20, 30, 40}) EXPECT_NEAR(out[v], 0.25, 0.02) << v;
}

TEST(GeneratorTest, ReasoningAndMultimodalFields) {
  auto pool = testing::UniformPool(1, 1, 1.0, 1.0);
  pool.category = Category::kReason;
  auto& lw = pool.clients[0].lengths[0];
  lw.fields[static_cast<int>(LengthField::kReasonRatio)] =
      testing::Dist({{0.0, 0.5}, {0.25, 0.25}, {0.998, 0.25}});
  for (const auto& r : GenerateAll(pool, RateFunction::Constant(2, 600), Opt(600, 4)).requests) {
    ASSERT_EQ(r.reasoning_tokens,
              std::llround(static_cast<double>(r.output_tokens) * r.reason_ratio));
    ASSERT_TRUE(r.reason_ratio == 0.0 || r.reason_ratio == 0.25 || r.reason_ratio == 0.998);
  }
  pool.category = Category::kMultimodal;
  lw.fields[static_cast<int>(LengthField::kTextTokens)] = testing::Dist({{50, 1.0}});
  lw.fields[static_cast<int>(LengthField::kImageCount)] = testing::Dist({{0, 0.5}, {2, 0.5}});
  lw.fields[static_cast<int>(LengthField::kImageTokens)] = testing::Dist({{100, 0.5}, {300, 0.5}});
  auto c = GenerateAll(pool, RateFunction::Constant(2, 600), Opt(600, 4));
  int with_images = 0;
  for (const auto& r : c.requests) {
    ASSERT_TRUE(r.image_count == 0 || r.image_count == 2);
    int64_t sum = r.text_tokens;
    for (int i = 0; i < r.image_count; ++i) sum += c.items[r.items_offset + static_cast<size_t>(i)];
    ASSERT_EQ(r.input_tokens, sum);
    ASSERT_EQ(r.text_tokens, 50);
    with_images += r.image_count > 0;
  }
  EXPECT_GT(with_images, 0);
}

TEST(GeneratorTest, CompatModeDropsOneRequestPerClientWindow) {
  // The reference draws ceil(rate * window) gaps scaled to fill the window and drops the last.
  auto pool = testing::UniformPool(2, 6, 0.2, 0.5);  // weights 0.2 and 0.4 of a constant 0.6 req/s
  GenerateOptions o = Opt(3600, 8);
  o.compat = true;
  auto c = GenerateAll(pool, RateFunction::Constant(0.6, 3600), o);
  // Per client-window: ceil(120) - 1 = 119 and ceil(240) - 1 = 239, or one more where rounding
  // leaves the last scaled arrival just below the window's end (the reference does the same).
  EXPECT_GE(c.requests.size(), 6u * (119 + 239));
  EXPECT_LE(c.requests.size(), 6u * (119 + 239) + 12);
  // And one uniform for both fields: input and output ranks agree.
  std::vector<double> in, out;
  for (const auto& r : c.requests) {
    if (r.client != 0) continue;
    in.push_back(static_cast<double>(r.input_tokens));
    out.push_back(static_cast<double>(r.output_tokens));
  }
  EXPECT_GT(Spearman(in, out), 0.95);
}

TEST(GeneratorTest, ArrivalOverrides) {
  auto pool = testing::UniformPool(1, 6, 1.0, 0.25);  // CV 2
  auto rate = RateFunction::Constant(10, 3600);
  auto cv_of = [&](ArrivalChoice a) {
    GenerateOptions o = Opt(3600, 10);
    o.arrival = a;
    std::vector<double> gaps;
    auto c = GenerateAll(pool, rate, o);
    for (size_t i = 1; i < c.requests.size(); ++i)
      gaps.push_back(c.requests[i].timestamp - c.requests[i - 1].timestamp);
    return CoefficientOfVariation(gaps);
  };
  EXPECT_NEAR(cv_of(ArrivalChoice::kExponential), 1.0, 0.05);
  EXPECT_NEAR(cv_of(ArrivalChoice::kTrace), 2.0, 0.2);
  EXPECT_NEAR(cv_of(ArrivalChoice::kGamma), 2.0, 0.2);
  EXPECT_NEAR(cv_of(ArrivalChoice::kWeibull), 2.0, 0.25);
}

TEST(GeneratorTest, WindowsWithoutActiveClientsAreWarned) {
  auto pool = testing::UniformPool(1, 2, 1.0);
  pool.clients[0].windows[1].rate = 0;
  auto s = Generate(pool, RateFunction::Constant(5, 1200), Opt(1200, 1),
                    [](const RequestBatch&) { return Status::Ok(); });
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_NE(s->warnings[0].find("no selected client is active"), std::string::npos);
  EXPECT_DOUBLE_EQ(s->expected_requests, 3000);
}

TEST(GeneratorTest, BadOptionsAndSinkErrors) {
  auto pool = testing::UniformPool(1, 1, 1.0);
  auto sink = [](const RequestBatch&) { return Status::Ok(); };
  EXPECT_FALSE(Generate(pool, RateFunction::Constant(1, 600), Opt(0, 1), sink).ok());
  GenerateOptions rho = Opt(600, 1);
  rho.coupling = Coupling::kGaussianCopula;
  rho.rho = 2;
  EXPECT_FALSE(Generate(pool, RateFunction::Constant(1, 600), rho, sink).ok());
  auto failing = Generate(pool, RateFunction::Constant(5, 600), Opt(600, 1),
                          [](const RequestBatch&) { return Status::Error("disk full"); });
  EXPECT_EQ(failing.message(), "disk full");
  EXPECT_FALSE(ParseCoupling("weird").ok());
  EXPECT_FALSE(ParseArrivalChoice("lognormal").ok());
}

}  // namespace
}  // namespace llms::servegen
