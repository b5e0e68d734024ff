// LengthSampler: draws one request's lengths from a client's length window, for each category
// (language: input/output; reason: plus reason_ratio and reasoning tokens; multimodal: text,
// output, per-modality item counts and per-item tokens), with a selectable coupling of fields.
//
// Coupling applies to the per-request fields in the order input (or text), output, then
// reason_ratio or the item counts: comonotone (one uniform for all, as the reference does),
// independent, or a Gaussian copula in which every later field has correlation rho with the first.
// Per-item tokens are always drawn independently. The copula's rho is per sampler: a client with
// a fitted input/output rank correlation gets its own sampler (generator.h, Coupling::kAuto). The
// compatibility mode reproduces the reference lookup (shared uniform, unclipped searchsorted,
// reason_ratio = index / (n - 1)).
#pragma once

#include <vector>

#include "core/rng.h"
#include "servegen/client_pool.h"
#include "servegen/request.h"

namespace llms::servegen {

enum class Coupling;

class LengthSampler {
 public:
  LengthSampler(Category category, Coupling coupling, double rho, bool compat);
  // Fills the length fields of `r`; appends multimodal item tokens to `items` and sets
  // r.items_offset to the first of them. With `min_first` > 0 the first field (input, or text
  // for multimodal) is drawn from its distribution conditioned on reaching min_first (a later
  // turn of a conversation carries the earlier ones); the caller checks that it can.
  void Sample(const LengthWindow& window, Rng& rng, Request& r, std::vector<int64_t>& items,
              int64_t min_first = 0) const;

 private:
  Category category_;
  Coupling coupling_;
  double rho_;
  bool compat_;
};

}  // namespace llms::servegen
