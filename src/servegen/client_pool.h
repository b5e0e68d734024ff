// The ServeGen workload model: a pool of clients of one model category. Each client has, per
// fixed-size window (600 s in the published data), an arrival rate, an inter-arrival CV and a
// fitted inter-arrival distribution; and, per coarser window (6 h), empirical distributions of its
// request lengths. Plain data: built by the loader or the fitter, filtered by pool_filter, read by
// the generator and the report. Immutable once built; safe to share across threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "servegen/conversation_model.h"
#include "servegen/empirical_distribution.h"

namespace llms::servegen {

enum class Category { kLanguage, kMultimodal, kReason };
std::string_view CategoryName(Category c);
std::optional<Category> ParseCategory(std::string_view name);

enum class ArrivalPattern { kNone, kGamma, kWeibull, kExponential };
std::string_view PatternName(ArrivalPattern p);

// The length fields a dataset window may hold, named as in ServeGen's dataset files.
enum class LengthField {
  kInputTokens,
  kOutputTokens,
  kTextTokens,
  kImageTokens,
  kAudioTokens,
  kVideoTokens,
  kImageCount,
  kAudioCount,
  kVideoCount,
  kReasonRatio,
};
inline constexpr int kNumLengthFields = 10;
std::string_view FieldName(LengthField f);
std::optional<LengthField> ParseFieldName(std::string_view name);

struct TraceWindow {
  double rate = 0.0;  // requests per second
  double cv = 0.0;    // coefficient of variation of inter-arrival times
  ArrivalPattern pattern = ArrivalPattern::kNone;
  double shape = 0.0;  // scipy convention: gamma(a=shape, scale), weibull_min(c=shape, scale)
  double scale = 0.0;
  bool active() const { return pattern != ArrivalPattern::kNone && rate > 0.0; }
};

struct LengthWindow {
  int64_t start = 0;  // seconds since the data's time 0
  std::array<std::optional<EmpiricalDistribution>, kNumLengthFields> fields;
  const EmpiricalDistribution* Get(LengthField f) const {
    const auto& d = fields[static_cast<int>(f)];
    return d ? &*d : nullptr;
  }
};

struct Client {
  std::string id;
  // windows[k] covers [pool.start + k * pool.window_seconds, + window_seconds).
  std::vector<TraceWindow> windows;
  // Ascending by start. A trace window uses the latest length window whose start is <= its start
  // (the reference rule); windows before the first length window use the first one.
  std::vector<LengthWindow> lengths;
  double rate_scale = 1.0;  // per-client scaling ("the top client doubles")
  // From the pool's client_params.csv, where it has a row for the client (or a `*` row).
  std::optional<ConversationModel> conversations;
  std::optional<double> io_rank_corr;  // Spearman correlation of input and output lengths

  const LengthWindow* LengthsAt(int64_t t) const;
  // Mean rate over windows [first, last) (after rate_scale).
  double MeanRate(size_t first, size_t last) const;
};

struct ClientPool {
  Category category = Category::kLanguage;
  std::string source;            // directory or "preset:<name>", for messages and reports
  int64_t start = 0;             // start of window 0, seconds since the data's time 0
  int64_t window_seconds = 600;  // trace window size
  size_t num_windows = 0;
  std::vector<Client> clients;
  std::vector<std::string> notes;  // non-fatal findings (e.g. clients without a dataset file)

  int64_t end() const { return start + static_cast<int64_t>(num_windows) * window_seconds; }
  // Index of the window containing absolute time t (clamped to the valid range).
  size_t WindowAt(double t) const;
  // Sum over clients of the scaled rate in window k.
  double TotalRate(size_t k) const;
};

// The clients active in every window of [first, last), busiest first (by MeanRate over those
// windows; the pool's order among equals).
std::vector<const Client*> ClientsActiveThroughout(const ClientPool& pool, size_t first,
                                                   size_t last);

}  // namespace llms::servegen
