// Sampler implementation.
#include "engine/sampler.h"

#include <algorithm>
#include <cmath>

namespace llms::engine {

int Argmax(std::span<const float> logits) {
  int best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int>(i);
  }
  return best;
}

int Sampler::Sample(std::span<const float> logits, std::span<const int> context) {
  work_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) work_[i] = {logits[i], static_cast<int>(i)};
  if (p_.repetition_penalty != 1.0f) {
    // CTRL-style penalty: shrink positive logits, push negative ones further down.
    for (int t : context) {
      if (t < 0 || static_cast<size_t>(t) >= work_.size()) continue;
      float& v = work_[static_cast<size_t>(t)].first;
      v = v > 0 ? v / p_.repetition_penalty : v * p_.repetition_penalty;
    }
  }
  if (p_.temperature <= 0.0f) {
    int best = 0;
    for (size_t i = 1; i < work_.size(); ++i) {
      if (work_[i].first > work_[static_cast<size_t>(best)].first) best = static_cast<int>(i);
    }
    return best;
  }
  // Sort by logit (descending; ties by id for determinism), keep top-k, softmax, keep top-p.
  std::sort(work_.begin(), work_.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  size_t keep = work_.size();
  if (p_.top_k > 0) keep = std::min(keep, static_cast<size_t>(p_.top_k));
  const float max_logit = work_[0].first;
  double total = 0.0;
  std::vector<double> probs(keep);
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp(static_cast<double>((work_[i].first - max_logit) / p_.temperature));
    total += probs[i];
  }
  if (p_.top_p < 1.0f) {
    double acc = 0.0;
    size_t cut = keep;
    for (size_t i = 0; i < keep; ++i) {
      acc += probs[i] / total;
      if (acc >= p_.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    total = 0.0;
    for (size_t i = 0; i < keep; ++i) total += probs[i];
  }
  const double u = rng_.NextOpenUnit() * total;
  double acc = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    acc += probs[i];
    if (u < acc) return work_[i].second;
  }
  return work_[keep - 1].second;
}

}  // namespace llms::engine
