// Tests for special functions against known values.
#include "core/special_functions.h"

#include <gtest/gtest.h>

#include <cmath>

namespace llms {
namespace {

TEST(SpecialFunctionsTest, DigammaTrigammaKnownValues) {
  EXPECT_NEAR(Digamma(1.0), -0.5772156649015329, 1e-12);
  EXPECT_NEAR(Digamma(0.5), -1.9635100260214235, 1e-12);
  EXPECT_NEAR(Trigamma(1.0), M_PI * M_PI / 6, 1e-12);
  EXPECT_NEAR(Trigamma(0.5), M_PI * M_PI / 2, 1e-11);
}

TEST(SpecialFunctionsTest, RegularizedGammaMatchesClosedForms) {
  // P(1, x) = 1 - exp(-x); P(0.5, x) = erf(sqrt(x)).
  for (double x : {0.01, 0.5, 1.0, 3.0, 20.0}) {
    EXPECT_NEAR(RegularizedLowerGamma(1.0, x), 1 - std::exp(-x), 1e-13);
    EXPECT_NEAR(RegularizedLowerGamma(0.5, x), std::erf(std::sqrt(x)), 1e-13);
  }
  EXPECT_EQ(RegularizedLowerGamma(2.0, 0.0), 0.0);
}

TEST(SpecialFunctionsTest, NormalQuantileInvertsCdf) {
  for (double p : {1e-10, 1e-4, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-9}) {
    EXPECT_NEAR(NormalCdf(NormalQuantile(p)), p, 1e-14 + 1e-12 * p);
  }
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-12);
}

}  // namespace
}  // namespace llms
