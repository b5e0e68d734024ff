// The decode time quotas of Aegaeon's token-level scheduling. A decode instance serves one batch
// per model, visited round-robin; between batches it switches models. With d_i the predicted
// step time of batch i and TPOT_i its model's SLO, n_i = TPOT_i / d_i (steps batch i may take per
// SLO period),
// S = sum_j 1/n_j, c0 = the summed switch cost of one round and Q_max the longest round (4 s):
//   alpha = max(c0 / (min_i n_i * Q_max) + S, 0.5),   q_i = c0 / (n_i * (alpha - S)).
// Each batch then sees a mean time between tokens of alpha * TPOT_i: alpha <= 1 meets every SLO.
// Without switch cost (one model, or c0 = 0) any quotas proportional to 1/n_i give alpha = S; the
// round is then made Q_max long.
#pragma once

#include <span>
#include <vector>

namespace llms::serving {

struct DecodeRound {
  double alpha = 0;             // mean TBT / TPOT SLO for every batch
  std::vector<double> quota_s;  // time each batch runs per round, in input order
  double round_s = 0;           // sum of quotas + switch cost
  bool meets_slo() const { return alpha <= 1.0; }
};

// `step_s`: predicted decode-step time of each batch (> 0); `tpot_slo_s`: each batch's TPOT SLO
// (models may have their own); `switch_s`: c0.
DecodeRound DecodeQuotas(std::span<const double> step_s, std::span<const double> tpot_slo_s,
                         double switch_s, double max_round_s = 4.0);
// Every batch with the same TPOT SLO.
DecodeRound DecodeQuotas(std::span<const double> step_s, double tpot_slo_s, double switch_s,
                         double max_round_s = 4.0);

}  // namespace llms::serving
