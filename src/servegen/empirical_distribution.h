// EmpiricalDistribution: a discrete distribution over numeric values (token counts, item counts,
// reasoning ratios) as ServeGen's dataset files describe them, with O(1) inverse-CDF sampling.
//
// Values are kept in the order given (ascending after construction) with their probabilities.
// Quantile(u) returns the smallest value whose CDF is >= u, using a guide table (Chen & Asau) so
// that one lookup costs a couple of comparisons whatever the support size. Inverse-CDF sampling
// (rather than an alias table) is what makes comonotone and copula coupling of fields possible.
// Immutable after construction; safe to share across threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace llms::servegen {

class EmpiricalDistribution {
 public:
  EmpiricalDistribution() = default;
  // Builds from (value, probability) pairs. Fails when empty, on negative or non-finite entries,
  // or when the probabilities do not sum to 1 within `tolerance`. Values are sorted; duplicates
  // are merged. Probabilities are renormalised to sum exactly to 1 for sampling.
  static Result<EmpiricalDistribution> FromPairs(std::vector<std::pair<double, double>> pairs,
                                                 double tolerance = 1e-6);
  // Builds from observed samples (each with weight 1).
  static EmpiricalDistribution FromSamples(const std::vector<double>& samples);

  bool empty() const { return values_.empty(); }
  size_t size() const { return values_.size(); }
  const std::vector<double>& values() const { return values_; }
  const std::vector<double>& probabilities() const { return probs_; }
  // Sum of the probabilities as given in the file, before renormalisation.
  double declared_total() const { return declared_total_; }

  // Smallest value v with CDF(v) >= u, for u in (0, 1].
  double Quantile(double u) const;
  // The reference implementation's lookup: searchsorted on the unnormalised cumulative sum. When
  // u exceeds the declared total it returns index size() (one past the end), which callers of
  // the compatibility mode map to max value + 1 exactly as numpy's searchsorted on a dense pdf
  // does.
  size_t ReferenceIndex(double u) const;
  double Cdf(double x) const;
  double Mean() const;
  double Max() const { return values_.empty() ? 0.0 : values_.back(); }

  // Reduces the support to at most `max_points` values: each of `max_points` equal-probability
  // bins is represented by its probability-weighted mean value (rounded when `integral`). Keeps the
  // distribution exactly when already small enough. Used to keep embedded presets compact.
  EmpiricalDistribution Compressed(size_t max_points, bool integral) const;

 private:
  void BuildIndex();
  std::vector<double> values_;
  std::vector<double> probs_;
  std::vector<double> cdf_;           // normalised, cdf_.back() == 1
  std::vector<double> declared_cdf_;  // unnormalised, as the file's numbers add up
  std::vector<uint32_t> guide_;       // guide_[k] = first index with cdf_ >= k / guide_.size()
  struct Step {
    double cdf, value;
  };
  std::vector<Step> lookup_;  // cdf_ and values_ side by side: one cache line per Quantile step
  double declared_total_ = 0.0;
};

}  // namespace llms::servegen
