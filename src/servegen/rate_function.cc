// RateFunction implementation and the --rate builders.
#include "servegen/rate_function.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/mapped_file.h"
#include "core/text.h"

namespace llms::servegen {

Result<RateFunction> RateFunction::FromBreakpoints(std::vector<double> times,
                                                   std::vector<double> rates) {
  if (times.empty() || times.size() != rates.size()) {
    return Result<RateFunction>::Error(
        "a rate function needs at least one (time, rate) breakpoint");
  }
  for (size_t i = 0; i < times.size(); ++i) {
    if (!std::isfinite(times[i]) || !std::isfinite(rates[i]) || rates[i] < 0) {
      return Result<RateFunction>::Error(fmt::format(
          "breakpoint {} (t={}, rate={}) must have a finite time and a finite rate >= 0", i + 1,
          times[i], rates[i]));
    }
    if (i > 0 && times[i] < times[i - 1]) {
      return Result<RateFunction>::Error(fmt::format(
          "breakpoint {} at t={} comes before the previous one at t={}: times must not decrease",
          i + 1, times[i], times[i - 1]));
    }
  }
  RateFunction f;
  f.t_ = std::move(times);
  f.r_ = std::move(rates);
  f.cum_.resize(f.t_.size());
  f.cum_[0] = f.r_[0] * std::max(0.0, f.t_[0]);  // constant before the first breakpoint, from t=0
  for (size_t i = 1; i < f.t_.size(); ++i) {
    f.cum_[i] = f.cum_[i - 1] + 0.5 * (f.r_[i - 1] + f.r_[i]) * (f.t_[i] - f.t_[i - 1]);
  }
  return f;
}

RateFunction RateFunction::Constant(double rate, double duration) {
  return std::move(FromBreakpoints({0.0, std::max(duration, 0.0)}, {rate, rate})).value();
}

double RateFunction::At(double t) const {
  if (t < t_.front()) return r_.front();
  if (t >= t_.back()) return r_.back();
  const size_t i = static_cast<size_t>(std::upper_bound(t_.begin(), t_.end(), t) - t_.begin());
  const double dt = t_[i] - t_[i - 1];
  if (dt <= 0) return r_[i];
  return r_[i - 1] + (r_[i] - r_[i - 1]) * (t - t_[i - 1]) / dt;
}

double RateFunction::Integral(double t) const {
  if (t <= 0) return 0.0;
  if (t < t_.front()) return r_.front() * t;
  if (t >= t_.back()) return cum_.back() + r_.back() * (t - t_.back());
  const size_t i = static_cast<size_t>(std::upper_bound(t_.begin(), t_.end(), t) - t_.begin());
  const double dt = t - t_[i - 1];
  const double slope = (r_[i] - r_[i - 1]) / (t_[i] - t_[i - 1]);
  return cum_[i - 1] + r_[i - 1] * dt + 0.5 * slope * dt * dt;
}

namespace {
// Smallest dt >= 0 with r0*dt + slope*dt^2/2 = area, in the numerically stable form.
double SolveSegment(double r0, double slope, double area) {
  if (area <= 0) return 0.0;
  if (slope == 0) return r0 > 0 ? area / r0 : std::numeric_limits<double>::infinity();
  const double disc = r0 * r0 + 2.0 * slope * area;
  if (disc < 0) return std::numeric_limits<double>::infinity();
  const double denom = r0 + std::sqrt(disc);
  if (denom <= 0) return std::numeric_limits<double>::infinity();
  return 2.0 * area / denom;
}
}  // namespace

double RateFunction::InverseIntegral(double lambda) const {
  if (lambda <= 0) return 0.0;
  const double head = r_.front() * std::max(0.0, t_.front());
  if (lambda <= head) return lambda / r_.front();
  if (lambda >= cum_.back()) {
    if (r_.back() <= 0) return std::numeric_limits<double>::infinity();
    return t_.back() + (lambda - cum_.back()) / r_.back();
  }
  // First breakpoint whose cumulative reaches lambda.
  const size_t i =
      static_cast<size_t>(std::lower_bound(cum_.begin(), cum_.end(), lambda) - cum_.begin());
  const double seg = t_[i] - t_[i - 1];
  const double slope = seg > 0 ? (r_[i] - r_[i - 1]) / seg : 0.0;
  const double dt = SolveSegment(r_[i - 1], slope, lambda - cum_[i - 1]);
  return std::min(t_[i - 1] + dt, t_[i]);
}

double RateFunction::Max(double duration) const {
  double m = At(0.0);
  for (size_t i = 0; i < t_.size(); ++i) {
    if (t_[i] >= 0 && t_[i] <= duration) m = std::max(m, r_[i]);
  }
  return std::max(m, At(duration));
}

bool RateFunction::ConstantOn(double a, double b, double* value) const {
  const double v = At(a);
  // Every piece of R that overlaps (a, b) must be flat at v: the extrapolated ends and each
  // segment between consecutive breakpoints.
  if (a < t_.front() && r_.front() != v) return false;
  if (b > t_.back() && r_.back() != v) return false;
  for (size_t i = 0; i + 1 < t_.size(); ++i) {
    const double lo = std::max(a, t_[i]), hi = std::min(b, t_[i + 1]);
    if (hi <= lo) continue;
    if (r_[i] != v || r_[i + 1] != v) return false;
  }
  *value = v;
  return true;
}

RateFunction RateFunction::Resampled(double step, double duration) const {
  std::vector<double> ts, rs;
  for (double a = 0; a < duration; a += step) {
    const double b = std::min(a + step, duration);
    const double mean = (Integral(b) - Integral(a)) / (b - a);
    ts.push_back(a);
    rs.push_back(mean);
    ts.push_back(b);
    rs.push_back(mean);
  }
  if (ts.empty()) return *this;
  return std::move(FromBreakpoints(std::move(ts), std::move(rs))).value();
}

Result<RateSpec> ParseRateSpec(const std::string& text) {
  RateSpec spec;
  const std::string_view s = Trim(text);
  auto number_after = [&](std::string_view prefix, const char* what) -> Result<double> {
    const auto v = ParseDouble(s.substr(prefix.size()));
    if (!v || !std::isfinite(*v) || *v < 0) {
      return Result<double>::Error(fmt::format("--rate {}: '{}' is not a {} (a finite number >= 0)",
                                               text, s.substr(prefix.size()), what));
    }
    return *v;
  };
  if (s == "trace") {
    spec.kind = RateSpec::Kind::kTrace;
  } else if (s.starts_with("scale:")) {
    auto v = number_after("scale:", "scale factor");
    if (!v.ok()) return v.status();
    spec.kind = RateSpec::Kind::kScaled;
    spec.value = *v;
  } else if (auto k = s.size() > 1 && s.back() == 'x' ? ParseDouble(s.substr(0, s.size() - 1))
                                                      : std::nullopt;
             k && std::isfinite(*k) && *k >= 0) {
    spec.kind = RateSpec::Kind::kScaled;
    spec.value = *ParseDouble(s.substr(0, s.size() - 1));
  } else if (s.starts_with("bounded:") || s.starts_with("peak:")) {
    const std::string_view prefix = s.starts_with("bounded:") ? "bounded:" : "peak:";
    auto v = number_after(prefix, "peak rate");
    if (!v.ok()) return v.status();
    spec.kind = RateSpec::Kind::kBounded;
    spec.value = *v;
  } else if (s.starts_with("csv:")) {
    spec.kind = RateSpec::Kind::kCsv;
    spec.csv_path = std::string(s.substr(4));
  } else if (s.ends_with(".csv")) {
    spec.kind = RateSpec::Kind::kCsv;
    spec.csv_path = std::string(s);
  } else if (auto v = ParseDouble(s); v && std::isfinite(*v) && *v >= 0) {
    spec.kind = RateSpec::Kind::kConstant;
    spec.value = *v;
  } else {
    return Result<RateSpec>::Error(
        fmt::format("--rate '{}' is not understood; use a number (constant req/s), 'trace' (the "
                    "data's own totals), "
                    "'scale:K' or 'Kx' (K times the totals), 'bounded:X' (the trace's shape with "
                    "peak X req/s) or "
                    "'csv:FILE' (time_s,rate breakpoints, linear between them)",
                    text));
  }
  return spec;
}

Result<RateFunction> ReadRateCsv(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  std::vector<double> ts, rs;
  size_t line_no = 0;
  for (std::string_view line : Split(*text, '\n')) {
    ++line_no;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto cols = Split(line, ',');
    const auto t = cols.size() == 2 ? ParseDouble(cols[0]) : std::nullopt;
    const auto r = cols.size() == 2 ? ParseDouble(cols[1]) : std::nullopt;
    if (!t || !r) {
      if (ts.empty() && line_no == 1) continue;  // header
      return Result<RateFunction>::Error(fmt::format(
          "{}:{}: expected 'time_s,rate' with two numbers, found '{}'", path, line_no, line));
    }
    if (!std::isfinite(*t) || !std::isfinite(*r) || *r < 0 || *t < 0) {
      return Result<RateFunction>::Error(fmt::format(
          "{}:{}: time and rate must be finite and >= 0, found '{}'", path, line_no, line));
    }
    if (!ts.empty() && *t < ts.back()) {
      return Result<RateFunction>::Error(
          fmt::format("{}:{}: time {} is before the previous row's {}; rows must be in time order",
                      path, line_no, *t, ts.back()));
    }
    ts.push_back(*t);
    rs.push_back(*r);
  }
  if (ts.empty()) return Result<RateFunction>::Error(path + ": no 'time_s,rate' rows found");
  return RateFunction::FromBreakpoints(std::move(ts), std::move(rs));
}

Result<RateFunction> BuildRateFunction(const RateSpec& spec, const ClientPool& pool,
                                       double span_start, double duration) {
  Result<RateFunction> f = RateFunction::Constant(spec.value, duration);
  if (spec.kind == RateSpec::Kind::kCsv) {
    f = ReadRateCsv(spec.csv_path);
    if (!f.ok()) return f;
  } else if (spec.kind != RateSpec::Kind::kConstant) {
    // Step function of the pool's total rate over the span's windows.
    std::vector<double> ts, rs;
    double peak = 0.0;
    const double w = static_cast<double>(pool.window_seconds);
    for (double a = 0; a < duration;) {
      const double abs = span_start + a;
      const size_t k = pool.WindowAt(abs);
      const double window_end =
          static_cast<double>(pool.start) + static_cast<double>(k + 1) * w - span_start;
      const double b = std::min(duration, std::max(window_end, a + 1e-9));
      const double total = pool.TotalRate(k);
      peak = std::max(peak, total);
      ts.insert(ts.end(), {a, b});
      rs.insert(rs.end(), {total, total});
      a = b;
    }
    double factor = 1.0;
    if (spec.kind == RateSpec::Kind::kScaled) factor = spec.value;
    if (spec.kind == RateSpec::Kind::kBounded) factor = peak > 0 ? spec.value / peak : 0.0;
    for (double& r : rs) r *= factor;
    if (ts.empty()) {
      ts = {0.0};
      rs = {0.0};
    }
    f = RateFunction::FromBreakpoints(std::move(ts), std::move(rs));
    if (!f.ok()) return f;
  }
  if (spec.resolution > 0) return f->Resampled(spec.resolution, duration);
  return f;
}

}  // namespace llms::servegen
