// Names and small queries of the workload model.
#include "servegen/client_pool.h"

#include <algorithm>
#include <cmath>

namespace llms::servegen {

namespace {
constexpr std::string_view kFieldNames[kNumLengthFields] = {
    "input_tokens", "output_tokens", "text_tokens", "image_tokens", "audio_tokens",
    "video_tokens", "image_count",   "audio_count", "video_count",  "reason_ratio"};
}  // namespace

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kLanguage:
      return "language";
    case Category::kMultimodal:
      return "multimodal";
    case Category::kReason:
      return "reason";
  }
  return "language";
}

std::optional<Category> ParseCategory(std::string_view name) {
  if (name == "language") return Category::kLanguage;
  if (name == "multimodal") return Category::kMultimodal;
  if (name == "reason" || name == "reasoning") return Category::kReason;
  return std::nullopt;
}

std::string_view PatternName(ArrivalPattern p) {
  switch (p) {
    case ArrivalPattern::kNone:
      return "";
    case ArrivalPattern::kGamma:
      return "Gamma";
    case ArrivalPattern::kWeibull:
      return "Weibull";
    case ArrivalPattern::kExponential:
      return "Exponential";
  }
  return "";
}

std::string_view FieldName(LengthField f) {
  return kFieldNames[static_cast<int>(f)];
}

std::optional<LengthField> ParseFieldName(std::string_view name) {
  for (int i = 0; i < kNumLengthFields; ++i) {
    if (kFieldNames[i] == name) return static_cast<LengthField>(i);
  }
  return std::nullopt;
}

const LengthWindow* Client::LengthsAt(int64_t t) const {
  if (lengths.empty()) return nullptr;
  auto it = std::upper_bound(lengths.begin(), lengths.end(), t,
                             [](int64_t v, const LengthWindow& w) { return v < w.start; });
  if (it == lengths.begin()) return &lengths.front();
  return &*(it - 1);
}

double Client::MeanRate(size_t first, size_t last) const {
  last = std::min(last, windows.size());
  if (first >= last) return 0.0;
  double sum = 0.0;
  for (size_t k = first; k < last; ++k) sum += windows[k].rate;
  return sum * rate_scale / static_cast<double>(last - first);
}

size_t ClientPool::WindowAt(double t) const {
  if (num_windows == 0) return 0;
  const double k =
      std::floor((t - static_cast<double>(start)) / static_cast<double>(window_seconds));
  if (k <= 0) return 0;
  return std::min(num_windows - 1, static_cast<size_t>(k));
}

double ClientPool::TotalRate(size_t k) const {
  double sum = 0.0;
  for (const auto& c : clients) {
    if (k < c.windows.size() && c.windows[k].active()) sum += c.windows[k].rate * c.rate_scale;
  }
  return sum;
}

std::vector<const Client*> ClientsActiveThroughout(const ClientPool& pool, size_t first,
                                                   size_t last) {
  std::vector<const Client*> out;
  for (const Client& c : pool.clients) {
    bool active = c.windows.size() >= last;
    for (size_t k = first; active && k < last; ++k) active = c.windows[k].active();
    if (active) out.push_back(&c);
  }
  std::stable_sort(out.begin(), out.end(), [&](const Client* a, const Client* b) {
    return a->MeanRate(first, last) > b->MeanRate(first, last);
  });
  return out;
}

}  // namespace llms::servegen
