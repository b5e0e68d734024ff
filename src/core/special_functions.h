// Special functions used by the samplers' CDFs, the fitters (maximum likelihood) and the
// statistical tests: digamma, trigamma, the regularized incomplete gamma function and the normal
// CDF and quantile. Pure functions, thread-safe.
#pragma once

namespace llms {

double Digamma(double x);
double Trigamma(double x);
// P(a, x) = gamma(a, x) / Gamma(a), the CDF of Gamma(shape a, scale 1) at x.
double RegularizedLowerGamma(double a, double x);
double NormalCdf(double x);
// Inverse of NormalCdf on (0, 1); accurate to about 1e-15 after one refinement step.
double NormalQuantile(double p);

}  // namespace llms
