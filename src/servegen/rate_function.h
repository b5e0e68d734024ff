// RateFunction: the target aggregate arrival rate R(t) over a generation span, piecewise linear
// between breakpoints (a step function uses two breakpoints at the same time), at any resolution.
// Provides the cumulative intensity Lambda(t) = integral of R and its inverse, which the generator
// uses to map unit-rate renewal processes onto time (time rescaling).
//
// Builders cover ServeGen's rate functions: constant, the trace's own totals, the totals scaled by
// k, bounded (the trace's shape with its peak scaled to X), and a user CSV of breakpoints.
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "servegen/client_pool.h"

namespace llms::servegen {

class RateFunction {
 public:
  // Breakpoints (t_i, r_i) with t ascending (equal neighbours make a step); R is linear between
  // breakpoints and constant outside them. Times are seconds since the span start.
  static Result<RateFunction> FromBreakpoints(std::vector<double> times, std::vector<double> rates);
  static RateFunction Constant(double rate, double duration);

  double At(double t) const;
  // Lambda(t) = integral of R over [0, t].
  double Integral(double t) const;
  // The t with Integral(t) == lambda (smallest such t); +inf past the end of the last breakpoint
  // when R is 0 there.
  double InverseIntegral(double lambda) const;
  double Max(double duration) const;
  // True when R is constant on [a, b) (then *value holds it): the generator inverts such stretches
  // with one multiplication instead of a search.
  bool ConstantOn(double a, double b, double* value) const;
  // A step function holding the mean of R over consecutive bins of `step` seconds on [0, duration).
  RateFunction Resampled(double step, double duration) const;

  const std::vector<double>& times() const { return t_; }
  const std::vector<double>& rates() const { return r_; }

 private:
  std::vector<double> t_, r_;
  std::vector<double> cum_;  // cum_[i] = Integral(t_[i])
};

// What the user asked for, as parsed from --rate.
struct RateSpec {
  enum class Kind { kConstant, kTrace, kScaled, kBounded, kCsv };
  Kind kind = Kind::kTrace;
  double value = 1.0;  // rate for kConstant, factor for kScaled, peak for kBounded
  std::string csv_path;
  double resolution = 0.0;  // > 0: resample to steps of this many seconds
};
// Accepts "100" (constant), "trace", "scale:K" or "Kx", "bounded:X" or "peak:X", "csv:FILE" or a
// path ending in .csv. Errors say which forms exist.
Result<RateSpec> ParseRateSpec(const std::string& text);

// Builds R on [0, duration) for a pool whose span starts at absolute time `span_start`.
Result<RateFunction> BuildRateFunction(const RateSpec& spec, const ClientPool& pool,
                                       double span_start, double duration);
// Reads "time_s,rate" rows (a header line is allowed) into breakpoints; errors name file:line.
Result<RateFunction> ReadRateCsv(const std::string& path);

}  // namespace llms::servegen
