// Decode time quotas (see decode_quota.h).
#include "serving/decode_quota.h"

#include <algorithm>
#include <limits>

namespace llms::serving {

DecodeRound DecodeQuotas(std::span<const double> step_s, double tpot_slo_s, double switch_s,
                         double max_round_s) {
  const std::vector<double> slo(step_s.size(), tpot_slo_s);
  return DecodeQuotas(step_s, slo, switch_s, max_round_s);
}

DecodeRound DecodeQuotas(std::span<const double> step_s, std::span<const double> tpot_slo_s,
                         double switch_s, double max_round_s) {
  DecodeRound r;
  if (step_s.empty()) return r;
  std::vector<double> n(step_s.size());
  double s = 0, n_min = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < step_s.size(); ++i) {
    n[i] = tpot_slo_s[i] / step_s[i];
    s += 1.0 / n[i];
    n_min = std::min(n_min, n[i]);
  }
  r.quota_s.resize(step_s.size());
  if (switch_s <= 0) {
    r.alpha = s;
    for (size_t i = 0; i < n.size(); ++i) r.quota_s[i] = max_round_s / (n[i] * s);
    r.round_s = max_round_s;
    return r;
  }
  r.alpha = std::max(switch_s / (n_min * max_round_s) + s, 0.5);
  r.round_s = switch_s;
  for (size_t i = 0; i < n.size(); ++i) {
    r.quota_s[i] = switch_s / (n[i] * (r.alpha - s));
    r.round_s += r.quota_s[i];
  }
  return r;
}

}  // namespace llms::serving
