// Gamma and Weibull maximum-likelihood fits.
#include "core/distribution_fit.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/stats.h"

#include "core/distributions.h"
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
    if (score(std::exp(mid)) < 0)
      lo = mid;
    else
      hi = mid;
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

namespace {

// Minimises f over R^2 by Nelder-Mead from `start` with initial step `step`.
template <typename F>
std::pair<double, double> NelderMead(F f, std::pair<double, double> start, double step) {
  struct P {
    double x, y, v;
  };
  P s[3] = {{start.first, start.second, 0},
            {start.first + step, start.second, 0},
            {start.first, start.second + step, 0}};
  for (auto& p : s) p.v = f(p.x, p.y);
  for (int it = 0; it < 400; ++it) {
    std::sort(s, s + 3, [](const P& a, const P& b) { return a.v < b.v; });
    if (std::fabs(s[2].v - s[0].v) < 1e-10 * (1 + std::fabs(s[0].v)) &&
        std::fabs(s[2].x - s[0].x) + std::fabs(s[2].y - s[0].y) < 1e-9) {
      break;
    }
    const double cx = (s[0].x + s[1].x) / 2, cy = (s[0].y + s[1].y) / 2;
    P r{2 * cx - s[2].x, 2 * cy - s[2].y, 0};
    r.v = f(r.x, r.y);
    if (r.v < s[0].v) {
      P e{3 * cx - 2 * s[2].x, 3 * cy - 2 * s[2].y, 0};
      e.v = f(e.x, e.y);
      s[2] = e.v < r.v ? e : r;
    } else if (r.v < s[1].v) {
      s[2] = r;
    } else {
      P c{(cx + s[2].x) / 2, (cy + s[2].y) / 2, 0};
      c.v = f(c.x, c.y);
      if (c.v < s[2].v) {
        s[2] = c;
      } else {
        for (int i = 1; i < 3; ++i) {
          s[i].x = (s[i].x + s[0].x) / 2;
          s[i].y = (s[i].y + s[0].y) / 2;
          s[i].v = f(s[i].x, s[i].y);
        }
      }
    }
  }
  std::sort(s, s + 3, [](const P& a, const P& b) { return a.v < b.v; });
  return {s[0].x, s[0].y};
}

// The uncensored fit used as a starting point: censored values stand in at half the threshold.
std::vector<double> WithStandIns(std::span<const double> exact, size_t censored, double censor_at) {
  std::vector<double> xs(exact.begin(), exact.end());
  xs.insert(xs.end(), censored, censor_at / 2);
  return xs;
}

}  // namespace

DistributionFit FitGammaCensored(std::span<const double> exact, size_t censored, double censor_at) {
  if (censored == 0 || censor_at <= 0) return FitGamma(exact);
  const auto init_xs = WithStandIns(exact, censored, censor_at);
  DistributionFit init = FitGamma(init_xs);
  if (!init.ok) init = DistributionFit{0.5, Mean(init_xs) / 0.5, 0.0, true};
  double sum_log = 0.0, sum = 0.0;
  for (double x : exact) {
    sum_log += std::log(x);
    sum += x;
  }
  const double n = static_cast<double>(exact.size()), m = static_cast<double>(censored);
  auto nll = [&](double lk, double lt) {
    const double k = std::exp(lk), theta = std::exp(lt);
    if (!std::isfinite(k) || !std::isfinite(theta) || k < 1e-4 || k > 1e4) return 1e300;
    const double cdf = GammaCdf(censor_at, k, theta);
    if (!(cdf > 0)) return 1e300;
    return -((k - 1) * sum_log - sum / theta - n * (k * std::log(theta) + std::lgamma(k)) +
             m * std::log(cdf));
  };
  const auto [lk, lt] = NelderMead(nll, {std::log(init.shape), std::log(init.scale)}, 0.3);
  DistributionFit fit;
  fit.shape = std::exp(lk);
  fit.scale = std::exp(lt);
  fit.log_likelihood = -nll(lk, lt);
  fit.ok = std::isfinite(fit.log_likelihood) && fit.log_likelihood > -1e299;
  return fit;
}

DistributionFit FitWeibullCensored(std::span<const double> exact, size_t censored,
                                   double censor_at) {
  if (censored == 0 || censor_at <= 0) return FitWeibull(exact);
  const auto init_xs = WithStandIns(exact, censored, censor_at);
  DistributionFit init = FitWeibull(init_xs);
  if (!init.ok) init = DistributionFit{0.5, Mean(init_xs), 0.0, true};
  double sum_log = 0.0;
  for (double x : exact) sum_log += std::log(x);
  const double n = static_cast<double>(exact.size()), m = static_cast<double>(censored);
  auto nll = [&](double lc, double ll) {
    const double c = std::exp(lc), lambda = std::exp(ll);
    if (!std::isfinite(c) || !std::isfinite(lambda) || c < 1e-3 || c > 1e3) return 1e300;
    double sum_pow = 0.0;
    for (double x : exact) sum_pow += std::pow(x / lambda, c);
    const double cdf = WeibullCdf(censor_at, c, lambda);
    if (!(cdf > 0)) return 1e300;
    return -(n * std::log(c / lambda) + (c - 1) * (sum_log - n * std::log(lambda)) - sum_pow +
             m * std::log(cdf));
  };
  const auto [lc, ll] = NelderMead(nll, {std::log(init.shape), std::log(init.scale)}, 0.3);
  DistributionFit fit;
  fit.shape = std::exp(lc);
  fit.scale = std::exp(ll);
  fit.log_likelihood = -nll(lc, ll);
  fit.ok = std::isfinite(fit.log_likelihood) && fit.log_likelihood > -1e299;
  return fit;
}

}  // namespace llms
