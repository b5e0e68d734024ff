// The project's own samplers and the matching analytic CDFs and moments: exponential, gamma,
// Weibull, normal. Samplers take an Rng explicitly so every draw is reproducible across machines.
//
// Parameter conventions follow scipy: Gamma(shape k, scale theta) has mean k*theta;
// Weibull(shape c, scale lambda) has CDF 1 - exp(-(x/lambda)^c).
#pragma once

#include <cmath>

#include "core/rng.h"

namespace llms {

// Exponential(1) by the ziggurat method.
double SampleExponential(Rng& rng);

// Standard normal by the ziggurat method (no hidden state between calls).
double SampleStandardNormal(Rng& rng);

// Gamma(shape, 1) by Marsaglia-Tsang; shapes below 1 use the boost G(k) = G(k+1) * U^(1/k).
double SampleGamma(double shape, Rng& rng);

// Weibull(shape, 1) by inversion.
inline double SampleWeibull(double shape, Rng& rng) {
  return std::pow(SampleExponential(rng), 1.0 / shape);
}

// CDFs and moments (scale 1 unless stated).
double GammaCdf(double x, double shape, double scale);
double WeibullCdf(double x, double shape, double scale);
inline double WeibullMean(double shape, double scale) {
  return scale * std::exp(std::lgamma(1.0 + 1.0 / shape));
}
// Coefficient of variation of a Weibull with the given shape (scale-free).
double WeibullCv(double shape);
// The Weibull shape whose coefficient of variation is `cv` (bisection on log shape).
double WeibullShapeForCv(double cv);

}  // namespace llms
