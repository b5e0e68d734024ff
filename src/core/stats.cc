// Statistics declared in stats.h.
#include "core/stats.h"

#include <algorithm>
#include <cmath>

namespace llms {

double RunningStats::stddev() const {
  return std::sqrt(variance());
}
double RunningStats::cv() const {
  return mean_ != 0.0 ? stddev() / mean_ : 0.0;
}

double Mean(std::span<const double> xs) {
  RunningStats s;
  for (double x : xs) s.Add(x);
  return s.mean();
}

double CoefficientOfVariation(std::span<const double> xs) {
  RunningStats s;
  for (double x : xs) s.Add(x);
  return s.cv();
}

double Quantile(std::vector<double> xs, double q) {
  if (xs.empty()) return 0.0;
  std::sort(xs.begin(), xs.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(xs.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, xs.size() - 1);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - static_cast<double>(lo));
}

double KsStatistic(std::vector<double> sample, const std::function<double(double)>& cdf) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0.0;
  for (size_t i = 0; i < sample.size(); ++i) {
    const double f = cdf(sample[i]);
    d = std::max({d, std::fabs(static_cast<double>(i + 1) / n - f),
                  std::fabs(f - static_cast<double>(i) / n)});
  }
  return d;
}

double KsTwoSample(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) return 1.0;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double d = 0.0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;  // consume ties on both sides before comparing
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  return d;
}

namespace {
std::vector<double> AverageRanks(std::span<const double> v) {
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double avg = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = avg;
    i = j + 1;
  }
  return rank;
}
}  // namespace

double SpearmanCorrelation(std::span<const double> x, std::span<const double> y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0.0;
  const std::vector<double> rx = AverageRanks(x.first(n)), ry = AverageRanks(y.first(n));
  const double mean = 0.5 * static_cast<double>(n + 1);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

double IndexOfDispersion(std::span<const double> times, double bin, double span) {
  const size_t bins = static_cast<size_t>(std::ceil(span / bin));
  if (bins == 0) return 0.0;
  std::vector<double> counts(bins, 0.0);
  for (double t : times) {
    if (t < 0 || t >= span) continue;
    counts[std::min(bins - 1, static_cast<size_t>(t / bin))] += 1.0;
  }
  RunningStats s;
  for (double c : counts) s.Add(c);
  return s.mean() > 0 ? s.variance() / s.mean() : 0.0;
}

}  // namespace llms
