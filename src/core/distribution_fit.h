// Maximum-likelihood fits of inter-arrival distributions: Gamma (Minka's fixed point with Newton
// refinement) and Weibull (bisection on the shape's score equation), with their log-likelihoods,
// so a fitter can choose the better law per window as ServeGen's analysis does.
#pragma once

#include <span>

namespace llms {

struct DistributionFit {
  double shape = 1.0;
  double scale = 1.0;
  double log_likelihood = 0.0;
  bool ok = false;  // false when the sample is too small or degenerate (all equal)
};

// Samples must be > 0 (callers clamp zero gaps to their timestamp resolution). Needs >= 2 values.
DistributionFit FitGamma(std::span<const double> xs);
DistributionFit FitWeibull(std::span<const double> xs);

double GammaLogLikelihood(std::span<const double> xs, double shape, double scale);
double WeibullLogLikelihood(std::span<const double> xs, double shape, double scale);

}  // namespace llms
