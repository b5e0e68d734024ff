// SLO scores and run summaries.
#include "core/slo.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/stats.h"

namespace llms {

Result<std::pair<std::string, SloTargets>> ParseModelSlo(std::string_view spec) {
  using R = Result<std::pair<std::string, SloTargets>>;
  const std::string text(spec);
  const size_t eq = spec.find('=');
  const size_t comma = spec.find(',', eq == std::string_view::npos ? 0 : eq);
  if (eq == std::string_view::npos || eq == 0 || comma == std::string_view::npos) {
    return R::Error("--slo '" + text + "': give NAME=TTFT_S,TPOT_S, e.g. chat=2,0.1");
  }
  SloTargets slo;
  auto number = [](std::string_view s, double* out) {
    // std::from_chars for double is in GCC 12's libstdc++.
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out) && *out > 0;
  };
  if (!number(spec.substr(eq + 1, comma - eq - 1), &slo.ttft_s) ||
      !number(spec.substr(comma + 1), &slo.tpot_s)) {
    return R::Error("--slo '" + text + "': TTFT and TPOT must be numbers of seconds > 0");
  }
  return std::pair<std::string, SloTargets>{std::string(spec.substr(0, eq)), slo};
}

double SloScore(const RequestTiming& r, const SloTargets& slo) {
  if (r.failed || r.token_s.empty()) return 0.0;
  const double service = r.token_s.back() - r.arrival_s;
  if (service <= 0) return 1.0;
  double base = r.arrival_s + slo.ttft_s;  // deadline of the token that opens the current run
  size_t run_start = 0;
  double prev = r.arrival_s, bad = 0.0;
  for (size_t k = 0; k < r.token_s.size(); ++k) {
    const double t = r.token_s[k];
    const double deadline = base + static_cast<double>(k - run_start) * slo.tpot_s;
    // A token counts as late only beyond float rounding of the deadline sum (1 ns).
    if (t > deadline + 1e-9) {
      bad += t - prev;  // the whole wait for a late token is time the user saw the SLO missed
      base = t;         // deadlines restart from the late token
      run_start = k;
    }
    prev = t;
  }
  return std::clamp(1.0 - bad / service, 0.0, 1.0);
}

bool MeetsBothSlos(const RequestTiming& r, const SloTargets& slo) {
  if (r.failed || r.token_s.empty()) return false;
  if (r.token_s.front() - r.arrival_s > slo.ttft_s) return false;
  if (r.token_s.size() < 2) return true;
  const double tpot =
      (r.token_s.back() - r.token_s.front()) / static_cast<double>(r.token_s.size() - 1);
  return tpot <= slo.tpot_s;
}

Percentiles Summarize(std::vector<double> values) {
  Percentiles p;
  if (values.empty()) return p;
  p.mean = Mean(values);
  p.max = *std::max_element(values.begin(), values.end());
  p.p50 = Quantile(values, 0.5);
  p.p90 = Quantile(values, 0.9);
  p.p99 = Quantile(std::move(values), 0.99);
  return p;
}

SloSummary SummarizeRequests(const std::vector<RequestTiming>& requests, const SloTargets& slo,
                             double duration_s) {
  SloSummary s;
  std::vector<double> ttft, tbt, tpot, e2e;
  double score = 0, start = std::numeric_limits<double>::infinity(), end = 0;
  int64_t good = 0, tokens = 0;
  for (const auto& r : requests) {
    start = std::min(start, r.arrival_s);
    const SloTargets& own = r.slo ? *r.slo : slo;
    score += SloScore(r, own);
    if (r.failed || r.token_s.empty()) {
      ++s.failed;
      continue;
    }
    ++s.completed;
    good += MeetsBothSlos(r, own) ? 1 : 0;
    tokens += static_cast<int64_t>(r.token_s.size());
    end = std::max(end, r.token_s.back());
    ttft.push_back(r.token_s.front() - r.arrival_s);
    e2e.push_back(r.token_s.back() - r.arrival_s);
    for (size_t k = 1; k < r.token_s.size(); ++k) tbt.push_back(r.token_s[k] - r.token_s[k - 1]);
    if (r.token_s.size() > 1) {
      tpot.push_back((r.token_s.back() - r.token_s.front()) /
                     static_cast<double>(r.token_s.size() - 1));
    }
  }
  const double n = static_cast<double>(requests.size());
  if (n > 0) {
    s.slo_attainment = score / n;
    s.conventional_attainment = static_cast<double>(good) / n;
  }
  if (duration_s <= 0 && end > start) duration_s = end - start;
  if (duration_s > 0) {
    s.goodput_rps = static_cast<double>(good) / duration_s;
    s.output_tokens_per_s = static_cast<double>(tokens) / duration_s;
  }
  s.ttft_s = Summarize(std::move(ttft));
  s.tbt_s = Summarize(std::move(tbt));
  s.tpot_s = Summarize(std::move(tpot));
  s.e2e_s = Summarize(std::move(e2e));
  return s;
}

}  // namespace llms
