// Gamma and Weibull maximum-likelihood fits.
#include "core/distribution_fit.h"

#include <algorithm>
#include <cmath>

#include "core/special_functions.h"

namespace llms {

double GammaLogLikelihood(std::span<const double> xs, double k, double theta) {
  double sum_log = 0.0, sum = 0.0;
  for (double x : xs) {
    sum_log += std::log(x);
    sum += x;
  }
  const double n = static_cast<double>(xs.size());
  return (k - 1) * sum_log - sum / theta - n * (k * std::log(theta) + std::lgamma(k));
}

double WeibullLogLikelihood(std::span<const double> xs, double c, double lambda) {
  double ll = 0.0;
  for (double x : xs) {
    const double z = x / lambda;
    ll += std::log(c / lambda) + (c - 1) * std::log(z) - std::pow(z, c);
  }
  return ll;
}

DistributionFit FitGamma(std::span<const double> xs) {
  DistributionFit fit;
  if (xs.size() < 2) return fit;
  double mean = 0.0, mean_log = 0.0;
  for (double x : xs) {
    mean += x;
    mean_log += std::log(x);
  }
  mean /= static_cast<double>(xs.size());
  mean_log /= static_cast<double>(xs.size());
  const double s = std::log(mean) - mean_log;
  if (!(s > 1e-12) || !std::isfinite(s)) return fit;  // all values equal: no finite MLE
  double k = (3 - s + std::sqrt((s - 3) * (s - 3) + 24 * s)) / (12 * s);
  for (int i = 0; i < 50; ++i) {
    const double num = std::log(k) - Digamma(k) - s;
    const double den = 1.0 / k - Trigamma(k);
    const double next = k - num / den;
    const double k_new = next > 0 ? next : k / 2;
    if (std::fabs(k_new - k) < 1e-12 * k) {
      k = k_new;
      break;
    }
    k = k_new;
  }
  fit.shape = k;
  fit.scale = mean / k;
  fit.log_likelihood = GammaLogLikelihood(xs, fit.shape, fit.scale);
  fit.ok = std::isfinite(fit.log_likelihood);
  return fit;
}

DistributionFit FitWeibull(std::span<const double> xs) {
  DistributionFit fit;
  if (xs.size() < 2) return fit;
  // Work on x / mean: the shape is scale-free and powers stay in range.
  double mean = 0.0;
  for (double x : xs) mean += x;
  mean /= static_cast<double>(xs.size());
  double mean_log = 0.0;
  for (double x : xs) mean_log += std::log(x / mean);
  mean_log /= static_cast<double>(xs.size());
  auto score = [&](double c) {
    // d/dc of the profile log-likelihood, increasing in c.
    double a = 0.0, b = 0.0;
    for (double x : xs) {
      const double z = x / mean;
      const double zc = std::pow(z, c);
      a += zc * std::log(z);
      b += zc;
    }
    return a / b - 1.0 / c - mean_log;
  };
  double lo = std::log(0.02), hi = std::log(50.0);
  if (score(std::exp(lo)) > 0 || score(std::exp(hi)) < 0) {
    // Outside the bracket: the data is extreme; take the nearer edge.
    const double c = score(std::exp(lo)) > 0 ? std::exp(lo) : std::exp(hi);
    lo = hi = std::log(c);
  }
  for (int i = 0; i < 100 && hi - lo > 1e-12; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (score(std::exp(mid)) < 0) lo = mid; else hi = mid;
  }
  const double c = std::exp(0.5 * (lo + hi));
  double mean_pow = 0.0;
  for (double x : xs) mean_pow += std::pow(x / mean, c);
  mean_pow /= static_cast<double>(xs.size());
  fit.shape = c;
  fit.scale = mean * std::pow(mean_pow, 1.0 / c);
  fit.log_likelihood = WeibullLogLikelihood(xs, fit.shape, fit.scale);
  fit.ok = std::isfinite(fit.log_likelihood);
  return fit;
}

}  // namespace llms
