// LengthSampler implementation.
#include "servegen/length_sampler.h"

#include <algorithm>
#include <cmath>

#include "core/distributions.h"
#include "core/special_functions.h"
#include "servegen/generator.h"

namespace llms::servegen {

namespace {

// Produces the coupled uniforms of one request, first field first.
class CoupledUniforms {
 public:
  CoupledUniforms(Coupling c, double rho, Rng& rng) : c_(c), rho_(rho), rng_(rng) {}
  double Next() {
    switch (c_) {
      case Coupling::kIndependent:
        return rng_.NextOpenUnit();
      case Coupling::kAuto:  // resolved per client before a sampler is built
      case Coupling::kComonotone:
        if (first_) {
          u0_ = rng_.NextOpenUnit();
          first_ = false;
        }
        return u0_;
      case Coupling::kGaussianCopula: {
        if (first_) {
          z0_ = SampleStandardNormal(rng_);
          first_ = false;
          return Clamp(NormalCdf(z0_));
        }
        const double z = rho_ * z0_ + std::sqrt(1.0 - rho_ * rho_) * SampleStandardNormal(rng_);
        return Clamp(NormalCdf(z));
      }
    }
    return rng_.NextOpenUnit();
  }

 private:
  // Keeps u inside (0, 1]: Quantile needs u > 0 for the first value to be reachable only by mass.
  static double Clamp(double u) { return u <= 0.0 ? 0x1.0p-60 : (u > 1.0 ? 1.0 : u); }
  Coupling c_;
  double rho_;
  Rng& rng_;
  bool first_ = true;
  double u0_ = 0.0, z0_ = 0.0;
};

// Lengths are >= 0: round half up without the libm call (this runs several times per request).
int64_t Round(double v) {
  return v >= 0 ? static_cast<int64_t>(v + 0.5) : static_cast<int64_t>(std::llround(v));
}

// Reference lookup: value at searchsorted index, max + 1 when the index runs past the end.
double ReferenceValue(const EmpiricalDistribution& d, double u) {
  const size_t i = d.ReferenceIndex(u);
  return i < d.size() ? d.values()[i] : d.Max() + 1.0;
}

// A draw from d conditioned on reaching `min` (after rounding), from the uniform u: the quantile
// at u when it reaches min, else the quantile at c + (u / c)(1 - c), c = P(X < min), which is
// uniform above c given u < c; so the result follows d given X >= min exactly, and the binary
// search for c is paid only when the first lookup falls short.
double AtLeast(const EmpiricalDistribution& d, double u, int64_t min) {
  const double v = d.Quantile(u);
  if (min <= 0 || v >= static_cast<double>(min) - 0.5) return v;
  const double c = d.Cdf(std::nextafter(static_cast<double>(min) - 0.5, -1.0));
  return std::max(static_cast<double>(min), d.Quantile(std::min(1.0, c + (u / c) * (1.0 - c))));
}

}  // namespace

LengthSampler::LengthSampler(Category category, Coupling coupling, double rho, bool compat)
    : category_(category), coupling_(coupling), rho_(rho), compat_(compat) {}

void LengthSampler::Sample(const LengthWindow& w, Rng& rng, Request& r, std::vector<int64_t>& items,
                           int64_t min_first) const {
  if (category_ == Category::kLanguage && coupling_ == Coupling::kComonotone && !compat_) {
    // The default, and the hot path: one uniform, two lookups.
    const double u = rng.NextOpenUnit();
    const EmpiricalDistribution* in = w.Get(LengthField::kInputTokens);
    const EmpiricalDistribution* out = w.Get(LengthField::kOutputTokens);
    r.items_offset = static_cast<uint32_t>(items.size());
    r.input_tokens = in ? std::max(min_first, Round(AtLeast(*in, u, min_first))) : 0;
    r.output_tokens = out ? Round(out->Quantile(u)) : 0;
    return;
  }
  const Coupling coupling = compat_ ? Coupling::kComonotone : coupling_;
  CoupledUniforms uniforms(coupling, rho_, rng);
  auto draw = [&](LengthField f, int64_t min = 0) -> double {
    const EmpiricalDistribution* d = w.Get(f);
    const double u = uniforms.Next();  // drawn even when the field is absent: fields stay aligned
    if (!d) return 0.0;
    if (compat_) return ReferenceValue(*d, u);
    return AtLeast(*d, u, min);
  };
  auto draw_item = [&](LengthField f) -> int64_t {
    const EmpiricalDistribution* d = w.Get(f);
    const double u = rng.NextOpenUnit();
    if (!d) return 0;
    return Round(compat_ ? ReferenceValue(*d, u) : d->Quantile(u));
  };
  r.items_offset = static_cast<uint32_t>(items.size());
  switch (category_) {
    case Category::kLanguage:
      r.input_tokens = Round(draw(LengthField::kInputTokens, min_first));
      r.output_tokens = Round(draw(LengthField::kOutputTokens));
      break;
    case Category::kReason: {
      r.input_tokens = Round(draw(LengthField::kInputTokens, min_first));
      r.output_tokens = Round(draw(LengthField::kOutputTokens));
      const EmpiricalDistribution* d = w.Get(LengthField::kReasonRatio);
      const double u = uniforms.Next();
      double ratio = 0.0;
      if (d) {
        if (compat_) {
          ratio = static_cast<double>(d->ReferenceIndex(u)) /
                  static_cast<double>(std::max<size_t>(1, d->size() - 1));
        } else {
          ratio = d->Quantile(u);
        }
      }
      r.reason_ratio = ratio;
      r.reasoning_tokens = Round(static_cast<double>(r.output_tokens) * ratio);
      break;
    }
    case Category::kMultimodal: {
      r.text_tokens = Round(draw(LengthField::kTextTokens, min_first));
      r.output_tokens = Round(draw(LengthField::kOutputTokens));
      r.image_count =
          static_cast<uint16_t>(std::min<int64_t>(65535, Round(draw(LengthField::kImageCount))));
      r.audio_count =
          static_cast<uint16_t>(std::min<int64_t>(65535, Round(draw(LengthField::kAudioCount))));
      r.video_count =
          static_cast<uint16_t>(std::min<int64_t>(65535, Round(draw(LengthField::kVideoCount))));
      int64_t total = r.text_tokens;
      for (int i = 0; i < r.image_count; ++i)
        total += items.emplace_back(draw_item(LengthField::kImageTokens));
      for (int i = 0; i < r.audio_count; ++i)
        total += items.emplace_back(draw_item(LengthField::kAudioTokens));
      for (int i = 0; i < r.video_count; ++i)
        total += items.emplace_back(draw_item(LengthField::kVideoTokens));
      r.input_tokens = total;
      break;
    }
  }
}

}  // namespace llms::servegen
