// EmpiricalDistribution implementation.
#include "servegen/empirical_distribution.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace llms::servegen {

Result<EmpiricalDistribution> EmpiricalDistribution::FromPairs(
    std::vector<std::pair<double, double>> pairs, double tolerance) {
  if (pairs.empty()) return Result<EmpiricalDistribution>::Error("distribution is empty");
  double total = 0.0;
  for (const auto& [v, p] : pairs) {
    if (!std::isfinite(v))
      return Result<EmpiricalDistribution>::Error(fmt::format("value {} is not finite", v));
    if (!std::isfinite(p) || p < 0) {
      return Result<EmpiricalDistribution>::Error(
          fmt::format("probability {} of value {} is not a finite number >= 0", p, v));
    }
    total += p;
  }
  if (std::fabs(total - 1.0) > tolerance) {
    return Result<EmpiricalDistribution>::Error(
        fmt::format("probabilities sum to {:.9g}, not 1 (tolerance {:g})", total, tolerance));
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  EmpiricalDistribution d;
  d.declared_total_ = total;
  for (const auto& [v, p] : pairs) {
    if (!d.values_.empty() && d.values_.back() == v) {
      d.probs_.back() += p;
    } else {
      d.values_.push_back(v);
      d.probs_.push_back(p);
    }
  }
  d.BuildIndex();
  return d;
}

EmpiricalDistribution EmpiricalDistribution::FromSamples(const std::vector<double>& samples) {
  std::map<double, double> counts;
  for (double s : samples) counts[s] += 1.0;
  EmpiricalDistribution d;
  const double n = static_cast<double>(samples.size());
  for (const auto& [v, c] : counts) {
    d.values_.push_back(v);
    d.probs_.push_back(c / n);
  }
  d.declared_total_ = 1.0;
  d.BuildIndex();
  return d;
}

void EmpiricalDistribution::BuildIndex() {
  const size_t n = values_.size();
  cdf_.resize(n);
  declared_cdf_.resize(n);
  double acc = 0.0;
  for (size_t i = 0; i < n; ++i) {
    acc += probs_[i];
    declared_cdf_[i] = acc;
  }
  for (size_t i = 0; i < n; ++i)
    cdf_[i] = acc > 0 ? declared_cdf_[i] / acc : static_cast<double>(i + 1) / n;
  if (n > 0) cdf_[n - 1] = 1.0;
  const size_t g = std::max<size_t>(1, n);
  guide_.resize(g);
  size_t idx = 0;
  for (size_t k = 0; k < g; ++k) {
    const double threshold = static_cast<double>(k) / static_cast<double>(g);
    while (idx + 1 < n && cdf_[idx] < threshold) ++idx;
    guide_[k] = static_cast<uint32_t>(idx);
  }
  lookup_.resize(n);
  for (size_t i = 0; i < n; ++i) lookup_[i] = {cdf_[i], values_[i]};
}

double EmpiricalDistribution::Quantile(double u) const {
  const size_t g = guide_.size();
  size_t k = static_cast<size_t>(u * static_cast<double>(g));
  if (k >= g) k = g - 1;
  const Step* s = lookup_.data() + guide_[k];
  const Step* last = lookup_.data() + lookup_.size() - 1;
  while (s < last && s->cdf < u) ++s;
  return s->value;
}

size_t EmpiricalDistribution::ReferenceIndex(double u) const {
  return static_cast<size_t>(std::lower_bound(declared_cdf_.begin(), declared_cdf_.end(), u) -
                             declared_cdf_.begin());
}

double EmpiricalDistribution::Cdf(double x) const {
  const auto it = std::upper_bound(values_.begin(), values_.end(), x);
  if (it == values_.begin()) return 0.0;
  return cdf_[static_cast<size_t>(it - values_.begin()) - 1];
}

double EmpiricalDistribution::Mean() const {
  double m = 0.0;
  for (size_t i = 0; i < values_.size(); ++i) m += values_[i] * probs_[i];
  return declared_total_ > 0 ? m / declared_total_ : 0.0;
}

EmpiricalDistribution EmpiricalDistribution::Compressed(size_t max_points, bool integral) const {
  if (values_.size() <= max_points || max_points == 0) return *this;
  std::vector<std::pair<double, double>> out;
  const double total = declared_cdf_.back();
  size_t i = 0;
  double prev_cdf = 0.0;
  for (size_t b = 0; b < max_points && i < values_.size(); ++b) {
    const double upper = static_cast<double>(b + 1) / static_cast<double>(max_points);
    double mass = 0.0, weighted = 0.0;
    // Whole values go to the bin their CDF midpoint falls in: the result stays a valid
    // distribution.
    while (i < values_.size()) {
      const double mid = (prev_cdf + probs_[i] / total * 0.5);
      if (mid > upper && mass > 0) break;
      mass += probs_[i] / total;
      weighted += values_[i] * probs_[i] / total;
      prev_cdf += probs_[i] / total;
      ++i;
    }
    if (mass > 0) {
      double v = weighted / mass;
      if (integral) v = std::round(v);
      out.emplace_back(v, mass);
    }
  }
  auto result = FromPairs(std::move(out), 1e-9);
  return result.ok() ? std::move(result).value() : *this;
}

}  // namespace llms::servegen
