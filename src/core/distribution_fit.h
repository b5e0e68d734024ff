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

// Samples must be > 0. Needs >= 2 values.
DistributionFit FitGamma(std::span<const double> xs);
DistributionFit FitWeibull(std::span<const double> xs);

// Fits with left-censoring: `exact` values were observed as they are; `censored` more values are
// only known to be below `censor_at` (gaps that timestamp rounding made 0). Maximises
//   sum log f(exact) + censored * log F(censor_at)
// by Nelder-Mead on (log shape, log scale), started from the uncensored fit. Without censored
// values this is exactly FitGamma / FitWeibull.
DistributionFit FitGammaCensored(std::span<const double> exact, size_t censored, double censor_at);
DistributionFit FitWeibullCensored(std::span<const double> exact, size_t censored,
                                   double censor_at);

double GammaLogLikelihood(std::span<const double> xs, double shape, double scale);
double WeibullLogLikelihood(std::span<const double> xs, double shape, double scale);

}  // namespace llms
