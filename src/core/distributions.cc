// Samplers and CDFs declared in distributions.h.
#include "core/distributions.h"

#include "core/special_functions.h"

namespace llms {

double SampleStandardNormal(Rng& rng) {
  for (;;) {
    const double u = 2.0 * rng.NextOpenUnit() - 1.0;
    const double v = 2.0 * rng.NextOpenUnit() - 1.0;
    const double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * std::log(s) / s);
  }
}

double SampleGamma(double shape, Rng& rng) {
  if (shape < 1.0) {
    // Work in logs so tiny shapes underflow gracefully instead of producing NaN.
    const double g = SampleGamma(shape + 1.0, rng);
    return std::exp(std::log(g) + std::log(rng.NextOpenUnit()) / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = SampleStandardNormal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.NextOpenUnit();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double GammaCdf(double x, double shape, double scale) {
  return RegularizedLowerGamma(shape, x / scale);
}

double WeibullCdf(double x, double shape, double scale) {
  if (x <= 0.0) return 0.0;
  return -std::expm1(-std::pow(x / scale, shape));
}

double WeibullCv(double shape) {
  const double g1 = std::lgamma(1.0 + 1.0 / shape);
  const double g2 = std::lgamma(1.0 + 2.0 / shape);
  return std::sqrt(std::max(0.0, std::exp(g2 - 2.0 * g1) - 1.0));
}

double WeibullShapeForCv(double cv) {
  // CV decreases monotonically in the shape; bracket [1e-2, 1e3] covers CV ~ 1e-3 .. 1e60.
  double lo = std::log(1e-2), hi = std::log(1e3);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (WeibullCv(std::exp(mid)) > cv)
      lo = mid;
    else
      hi = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

}  // namespace llms
