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

TokenLogprobs ComputeLogprobs(std::span<const float> logits, int token, int top) {
  TokenLogprobs out;
  if (logits.empty()) return out;
  float max_logit = logits[0];
  for (float v : logits) max_logit = std::max(max_logit, v);
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v - max_logit));
  const double log_z = static_cast<double>(max_logit) + std::log(sum);
  auto lp = [&](int t) {
    return static_cast<float>(static_cast<double>(logits[static_cast<size_t>(t)]) - log_z);
  };
  if (token >= 0 && static_cast<size_t>(token) < logits.size()) out.logprob = lp(token);
  const size_t k = std::min(logits.size(), static_cast<size_t>(std::max(0, top)));
  if (k == 0) return out;
  std::vector<int> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
  auto better = [&](int a, int b) {
    const float va = logits[static_cast<size_t>(a)], vb = logits[static_cast<size_t>(b)];
    return va > vb || (va == vb && a < b);
  };
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), better);
  for (size_t i = 0; i < k; ++i) out.top.emplace_back(ids[i], lp(ids[i]));
  return out;
}

int Sampler::Sample(std::span<const float> logits, std::span<const int> context,
                    size_t prompt_tokens) {
  work_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) work_[i] = {logits[i], static_cast<int>(i)};
  for (const auto& [t, bias] : p_.logit_bias) {
    if (t >= 0 && static_cast<size_t>(t) < work_.size())
      work_[static_cast<size_t>(t)].first += bias;
  }
  if (p_.repetition_penalty != 1.0f && p_.repeat_last_n != 0 && !context.empty()) {
    // CTRL-style penalty, once per distinct token of the window: shrink positive logits, push
    // negative ones further down.
    const size_t n = p_.repeat_last_n < 0
                         ? context.size()
                         : std::min(context.size(), static_cast<size_t>(p_.repeat_last_n));
    counts_.assign(context.end() - static_cast<std::ptrdiff_t>(n), context.end());
    std::sort(counts_.begin(), counts_.end());
    counts_.erase(std::unique(counts_.begin(), counts_.end()), counts_.end());
    for (int t : counts_) {
      if (t < 0 || static_cast<size_t>(t) >= work_.size()) continue;
      float& v = work_[static_cast<size_t>(t)].first;
      v = v > 0 ? v / p_.repetition_penalty : v * p_.repetition_penalty;
    }
  }
  if ((p_.frequency_penalty != 0.0f || p_.presence_penalty != 0.0f) &&
      context.size() > prompt_tokens) {
    counts_.assign(context.begin() + static_cast<std::ptrdiff_t>(prompt_tokens), context.end());
    std::sort(counts_.begin(), counts_.end());
    for (size_t i = 0; i < counts_.size();) {
      size_t j = i;
      while (j < counts_.size() && counts_[j] == counts_[i]) ++j;
      const int t = counts_[i];
      if (t >= 0 && static_cast<size_t>(t) < work_.size()) {
        work_[static_cast<size_t>(t)].first -=
            p_.frequency_penalty * static_cast<float>(j - i) + p_.presence_penalty;
      }
      i = j;
    }
  }
  if (p_.temperature <= 0.0f) {
    int best = 0;
    for (size_t i = 1; i < work_.size(); ++i) {
      if (work_[i].first > work_[static_cast<size_t>(best)].first) best = static_cast<int>(i);
    }
    return best;
  }
  // Truncation as llama.cpp's chain does it, on the untempered distribution: top-k, then top-p
  // and min-p (both keep a prefix of the tokens by falling probability, so together the shorter
  // one). Only as much of the vocabulary is sorted as the cut needs: the top k, or a prefix that
  // doubles until the cut falls inside it; with no truncation nothing is sorted.
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  size_t keep = work_.size();
  size_t sorted = 0;  // work_[0, sorted) is in order and holds the most likely tokens
  if (p_.top_k > 0 && static_cast<size_t>(p_.top_k) < keep) {
    keep = static_cast<size_t>(p_.top_k);
    std::partial_sort(work_.begin(), work_.begin() + static_cast<std::ptrdiff_t>(keep), work_.end(),
                      by_logit);
    sorted = keep;
  }
  if (p_.top_p < 1.0f || p_.min_p > 0.0f) {
    float max_logit = work_[0].first;
    for (size_t i = 1; i < keep; ++i) max_logit = std::max(max_logit, work_[i].first);
    double total = 0.0;
    for (size_t i = 0; i < keep; ++i)
      total += std::exp(static_cast<double>(work_[i].first - max_logit));
    const double top_p_mass = static_cast<double>(p_.top_p) * total;
    double acc = 0.0;
    size_t cut = keep;
    for (size_t i = 0; i < keep; ++i) {
      if (i == sorted) {  // extend the sorted prefix
        const size_t next = std::min(keep, std::max<size_t>(64, 2 * sorted));
        std::partial_sort(work_.begin() + static_cast<std::ptrdiff_t>(sorted),
                          work_.begin() + static_cast<std::ptrdiff_t>(next),
                          work_.begin() + static_cast<std::ptrdiff_t>(keep), by_logit);
        sorted = next;
      }
      // Probability relative to the most likely token's (which has 1).
      const double rel = std::exp(static_cast<double>(work_[i].first - max_logit));
      if (p_.min_p > 0.0f && i > 0 && rel < static_cast<double>(p_.min_p)) {
        cut = i;
        break;
      }
      acc += rel;
      if (p_.top_p < 1.0f && acc >= top_p_mass) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
  }
  // Temperature over what is left, then one draw (in the order the candidates stand).
  float max_logit = work_[0].first;
  for (size_t i = 1; i < keep; ++i) max_logit = std::max(max_logit, work_[i].first);
  probs_.resize(keep);
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    probs_[i] = std::exp(static_cast<double>((work_[i].first - max_logit) / p_.temperature));
    total += probs_[i];
  }
  const double u = rng_.NextOpenUnit() * total;
  double acc = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    acc += probs_[i];
    if (u < acc) return work_[i].second;
  }
  return work_[keep - 1].second;
}

}  // namespace llms::engine
