// Tests for rate functions: integrals and their inverse on linear and step pieces, resampling,
// the --rate grammar, the trace-derived builders and CSV errors.
#include "servegen/rate_function.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "servegen/test_pools.h"

namespace llms::servegen {
namespace {

TEST(RateFunctionTest, IntegralAndInverseOnLinearPieces) {
  // 0 -> 10 req/s over [0, 10], then flat 10 until 20, then a step to 2.
  auto f = *RateFunction::FromBreakpoints({0, 10, 20, 20}, {0, 10, 10, 2});
  EXPECT_DOUBLE_EQ(f.Integral(10), 50);
  EXPECT_DOUBLE_EQ(f.Integral(5), 12.5);
  EXPECT_DOUBLE_EQ(f.Integral(20), 150);
  EXPECT_DOUBLE_EQ(f.Integral(25), 160);
  for (double t : {0.5, 3.0, 9.9, 12.0, 19.5, 20.5, 40.0}) {
    EXPECT_NEAR(f.InverseIntegral(f.Integral(t)), t, 1e-9) << t;
  }
  EXPECT_DOUBLE_EQ(f.At(5), 5);
  EXPECT_DOUBLE_EQ(f.At(25), 2);
  EXPECT_DOUBLE_EQ(f.Max(30), 10);
}

TEST(RateFunctionTest, ConstantOnDetectsFlatStretches) {
  auto f = *RateFunction::FromBreakpoints({0, 10, 20, 20, 30}, {5, 5, 5, 2, 4});
  double v = 0;
  EXPECT_TRUE(f.ConstantOn(0, 20, &v));
  EXPECT_EQ(v, 5);
  EXPECT_TRUE(f.ConstantOn(-5, 10, &v));
  EXPECT_FALSE(f.ConstantOn(15, 25, &v));  // crosses the step
  EXPECT_FALSE(f.ConstantOn(20, 30, &v));  // a ramp
  EXPECT_TRUE(f.ConstantOn(40, 50, &v));   // constant after the last breakpoint
  EXPECT_EQ(v, 4);
}

TEST(RateFunctionTest, ZeroRateTailIsInfinite) {
  auto f = *RateFunction::FromBreakpoints({0, 10}, {1, 0});
  EXPECT_TRUE(std::isinf(f.InverseIntegral(f.Integral(10) + 1)));
}

TEST(RateFunctionTest, ResampledKeepsTheIntegral) {
  auto f = *RateFunction::FromBreakpoints({0, 100}, {0, 100});
  auto g = f.Resampled(7, 100);
  for (double t : {7.0, 14.0, 98.0, 100.0}) EXPECT_NEAR(g.Integral(t), f.Integral(t), 1e-9);
  EXPECT_NEAR(g.At(3), f.Integral(7) / 7, 1e-12);
}

TEST(RateFunctionTest, RejectsBadBreakpoints) {
  EXPECT_FALSE(RateFunction::FromBreakpoints({}, {}).ok());
  EXPECT_NE(
      RateFunction::FromBreakpoints({0, 5, 3}, {1, 1, 1}).message().find("times must not decrease"),
      std::string::npos);
  EXPECT_NE(RateFunction::FromBreakpoints({0}, {-1}).message().find("finite rate >= 0"),
            std::string::npos);
}

TEST(RateSpecTest, ParsesEveryForm) {
  EXPECT_EQ(ParseRateSpec("100")->kind, RateSpec::Kind::kConstant);
  EXPECT_EQ(ParseRateSpec("100")->value, 100);
  EXPECT_EQ(ParseRateSpec("trace")->kind, RateSpec::Kind::kTrace);
  EXPECT_EQ(ParseRateSpec("2x")->kind, RateSpec::Kind::kScaled);
  EXPECT_EQ(ParseRateSpec("scale:0.5")->value, 0.5);
  EXPECT_EQ(ParseRateSpec("bounded:50")->kind, RateSpec::Kind::kBounded);
  EXPECT_EQ(ParseRateSpec("peak:50")->value, 50);
  EXPECT_EQ(ParseRateSpec("csv:/x/y")->csv_path, "/x/y");
  EXPECT_EQ(ParseRateSpec("ramp.csv")->kind, RateSpec::Kind::kCsv);
  for (const char* bad : {"fast", "-5", "scale:abc", "bounded:-1", "nanx"}) {
    auto r = ParseRateSpec(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_NE(ParseRateSpec("fast").message().find("'scale:K' or 'Kx'"), std::string::npos);
}

TEST(RateSpecTest, TraceBuildersFollowThePool) {
  auto pool = testing::UniformPool(3, 4, 1.0);  // total rate 1 + 2 + 3 = 6 in every window
  pool.clients[0].windows[2].rate = 7.0;        // window 2 totals 12
  RateSpec trace = *ParseRateSpec("trace");
  auto t = *BuildRateFunction(trace, pool, 0, 2400);
  EXPECT_DOUBLE_EQ(t.At(100), 6);
  EXPECT_DOUBLE_EQ(t.At(1300), 12);
  EXPECT_DOUBLE_EQ(t.Integral(2400), 600 * (6 + 6 + 12 + 6));
  auto scaled = *BuildRateFunction(*ParseRateSpec("3x"), pool, 0, 2400);
  EXPECT_DOUBLE_EQ(scaled.At(1300), 36);
  auto bounded = *BuildRateFunction(*ParseRateSpec("bounded:6"), pool, 0, 2400);
  EXPECT_DOUBLE_EQ(bounded.Max(2400), 6);
  EXPECT_DOUBLE_EQ(bounded.At(100), 3);
  // A span starting mid-window: the first piece is the rest of that window.
  auto mid = *BuildRateFunction(trace, pool, 1000, 600);
  EXPECT_DOUBLE_EQ(mid.At(100), 6);
  EXPECT_DOUBLE_EQ(mid.At(300), 12);
  RateSpec res = trace;
  res.resolution = 1200;
  auto coarse = *BuildRateFunction(res, pool, 0, 2400);
  EXPECT_DOUBLE_EQ(coarse.At(1300), 9);
}

TEST(RateCsvTest, ReadsBreakpointsAndReportsErrors) {
  const std::string path = ::testing::TempDir() + "/rate.csv";
  {
    std::ofstream f(path);
    f << "time_s,rate\n0,0\n60,10\n120,10\n";
  }
  auto f = ReadRateCsv(path);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_DOUBLE_EQ(f->Integral(120), 300 + 600);
  {
    std::ofstream g(path);
    g << "time_s,rate\n0,1\n60,x\n";
  }
  EXPECT_NE(ReadRateCsv(path).message().find("rate.csv:3: expected 'time_s,rate'"),
            std::string::npos);
  {
    std::ofstream g(path);
    g << "0,1\n60,2\n30,1\n";
  }
  EXPECT_NE(ReadRateCsv(path).message().find("rate.csv:3: time 30 is before"), std::string::npos);
  EXPECT_NE(ReadRateCsv("/nonexistent.csv").message().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace llms::servegen
