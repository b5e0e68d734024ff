// Descriptive statistics and goodness-of-fit measures used by tests, the fitter and the fidelity
// report: moments, coefficient of variation, quantiles, Kolmogorov-Smirnov statistics.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace llms {

// Streaming mean and variance (Welford): numerically stable, O(1) memory.
class RunningStats {
 public:
  void Add(double x) {
    ++n_;
    const double d = x - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (x - mean_);
  }
  int64_t count() const { return n_; }
  double mean() const { return mean_; }
  // Population variance (divides by n), as the ServeGen data's CV uses.
  double variance() const { return n_ > 0 ? m2_ / static_cast<double>(n_) : 0.0; }
  double stddev() const;
  // Coefficient of variation; 0 when the mean is 0.
  double cv() const;

 private:
  int64_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;
};

double Mean(std::span<const double> xs);
double CoefficientOfVariation(std::span<const double> xs);
// Linear-interpolated quantile of unsorted data, q in [0, 1]; copies and partially sorts.
double Quantile(std::vector<double> xs, double q);

// sup |F_n(x) - F(x)| for a sample (need not be sorted) against a continuous CDF.
double KsStatistic(std::vector<double> sample, const std::function<double(double)>& cdf);
// Two-sample KS statistic sup |F_a - F_b|; handles ties (discrete data) exactly.
double KsTwoSample(std::vector<double> a, std::vector<double> b);

// Spearman's rank correlation of paired samples (ties get their average rank); 0 when fewer than
// two pairs or when either side is constant.
double SpearmanCorrelation(std::span<const double> x, std::span<const double> y);

// Index of dispersion (variance / mean) of event counts in consecutive bins of `bin` seconds over
// [0, span); event times need not be sorted.
double IndexOfDispersion(std::span<const double> times, double bin, double span);

}  // namespace llms
