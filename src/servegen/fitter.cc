// Fitter implementation.
#include "servegen/fitter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "core/distribution_fit.h"
#include "core/log.h"
#include "core/stats.h"
#include "servegen/conversation_stats.h"

namespace llms::servegen {

namespace {

// Histogram of one length field in one length window.
using Histogram = std::map<double, double>;

EmpiricalDistribution FromHistogram(const Histogram& h, size_t max_support, bool integral) {
  double total = 0.0;
  for (const auto& [v, c] : h) total += c;
  std::vector<std::pair<double, double>> pairs;
  pairs.reserve(h.size());
  for (const auto& [v, c] : h) pairs.emplace_back(v, c / total);
  auto d = EmpiricalDistribution::FromPairs(std::move(pairs), 1e-9);
  EmpiricalDistribution out = std::move(d).value();
  return max_support > 0 ? out.Compressed(max_support, integral) : out;
}

TraceWindow FitWindow(std::span<const double> times, double window, double resolution,
                      FitSummary& summary) {
  TraceWindow w;
  const size_t n = times.size();
  if (n == 0) return w;
  w.rate = static_cast<double>(n) / window;
  std::vector<double> exact;
  exact.reserve(n);
  size_t censored = 0;
  RunningStats s;
  for (size_t i = 1; i < n; ++i) {
    const double gap = times[i] - times[i - 1];
    s.Add(gap);
    if (gap < resolution / 2)
      ++censored;
    else
      exact.push_back(gap);
  }
  const DistributionFit g = FitGammaCensored(exact, censored, resolution);
  const DistributionFit wb = FitWeibullCensored(exact, censored, resolution);
  if (exact.size() >= 2 && (g.ok || wb.ok) && std::isfinite(s.cv())) {
    w.cv = s.cv();
    const bool use_gamma = g.ok && (!wb.ok || g.log_likelihood >= wb.log_likelihood);
    const DistributionFit& best = use_gamma ? g : wb;
    w.pattern = use_gamma ? ArrivalPattern::kGamma : ArrivalPattern::kWeibull;
    w.shape = best.shape;
    w.scale = best.scale;
    ++(use_gamma ? summary.gamma_windows : summary.weibull_windows);
  } else {
    // Too few arrivals to fit a shape: a Poisson window (Gamma with shape 1) at the observed rate.
    w.cv = 1.0;
    w.pattern = ArrivalPattern::kGamma;
    w.shape = 1.0;
    w.scale = 1.0 / w.rate;
    ++summary.sparse_windows;
  }
  return w;
}

}  // namespace

Result<ClientPool> FitPool(const Trace& trace, const FitOptions& opt, FitSummary* summary_out) {
  FitSummary summary;
  const auto& reqs = trace.batch.requests;
  if (reqs.empty()) return Result<ClientPool>::Error("the request log is empty");
  if (!(opt.rate_multiplier > 0) || !std::isfinite(opt.rate_multiplier)) {
    return Result<ClientPool>::Error("--rate-multiplier must be a finite number > 0");
  }
  if (opt.window_seconds <= 0 || opt.length_window_seconds <= 0) {
    return Result<ClientPool>::Error("--window and --length-window must be > 0 seconds");
  }
  const double w = static_cast<double>(opt.window_seconds);
  const double first_t = reqs.front().timestamp;
  const double last_t = reqs.back().timestamp;
  const int64_t start = opt.start ? static_cast<int64_t>(std::floor(*opt.start))
                                  : static_cast<int64_t>(std::floor(first_t / w) * w);
  if (static_cast<double>(start) > first_t) {
    return Result<ClientPool>::Error(
        fmt::format("--start {} is after the first request at {:.3f} s", start, first_t));
  }
  // A stray timestamp (or the wrong unit) would make millions of empty windows: refuse, naming it.
  double widest = 0, widest_at = first_t;
  for (size_t i = 1; i < reqs.size(); ++i) {
    const double gap = reqs[i].timestamp - reqs[i - 1].timestamp;
    if (gap > widest) {
      widest = gap;
      widest_at = reqs[i].timestamp;
    }
  }
  const double span_windows = std::floor((last_t - static_cast<double>(start)) / w) + 1;
  if (!(span_windows <= static_cast<double>(opt.max_windows))) {
    return Result<ClientPool>::Error(fmt::format(
        "the log spans {:.6g} s (from {:.6g} s to {:.6g} s): {:.6g} windows of {} s, more than "
        "--max-windows {}; its largest gap, {:.6g} s, ends at {:.6g} s. A stray timestamp or a "
        "wrong --time-unit? Fix or drop it, or raise --max-windows (or --window)",
        last_t - first_t, first_t, last_t, span_windows, opt.window_seconds, opt.max_windows,
        widest, widest_at, w));
  }
  const size_t num_windows = std::max<size_t>(1, static_cast<size_t>(span_windows));
  if (reqs.size() > 2 && widest > 0.5 * (last_t - first_t) && widest > 10 * w) {
    summary.warnings.push_back(fmt::format(
        "one gap of {:.6g} s (ending at {:.6g} s) is {:.0f}% of the log's span: most fitted "
        "windows are empty; a stray timestamp?",
        widest, widest_at, 100.0 * widest / (last_t - first_t)));
  }

  double resolution = opt.resolution;
  if (resolution <= 0) {
    resolution = std::numeric_limits<double>::infinity();
    for (size_t i = 1; i < reqs.size(); ++i) {
      const double gap = reqs[i].timestamp - reqs[i - 1].timestamp;
      if (gap > 0) resolution = std::min(resolution, gap);
    }
    if (!std::isfinite(resolution)) resolution = 1e-3;
    resolution = std::clamp(resolution, 1e-9, 1.0);
  }
  summary.resolution = resolution;
  // Requests per client (reqs are sorted by time, so each client's list is sorted too).
  std::vector<std::vector<size_t>> by_client(trace.clients.size());
  for (size_t i = 0; i < reqs.size(); ++i) by_client[reqs[i].client].push_back(i);
  std::vector<size_t> order(trace.clients.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return by_client[a].size() > by_client[b].size(); });

  ClientPool pool;
  pool.category = trace.category;
  pool.source = "fit";
  pool.start = start;
  pool.window_seconds = opt.window_seconds;
  pool.num_windows = num_windows;
  const int64_t lw = opt.length_window_seconds;
  for (size_t ci : order) {
    const auto& idx = by_client[ci];
    if (idx.empty()) continue;
    Client c;
    c.id = trace.clients[ci];
    c.windows.resize(num_windows);
    // Rate windows.
    std::vector<double> times;
    size_t pos = 0;
    for (size_t k = 0; k < num_windows; ++k) {
      const double end = static_cast<double>(start) + static_cast<double>(k + 1) * w;
      times.clear();
      while (pos < idx.size() && (reqs[idx[pos]].timestamp < end || k + 1 == num_windows)) {
        times.push_back(reqs[idx[pos]].timestamp);
        ++pos;
      }
      c.windows[k] = FitWindow(times, w, resolution, summary);
      c.windows[k].rate *= opt.rate_multiplier;
      c.windows[k].scale /= opt.rate_multiplier;
    }
    // Length windows, aligned to multiples of the length window from the pool start.
    std::map<int64_t, std::array<Histogram, kNumLengthFields>> hist;
    for (size_t i : idx) {
      const Request& r = reqs[i];
      const int64_t lstart =
          start + static_cast<int64_t>(std::floor((r.timestamp - static_cast<double>(start)) /
                                                  static_cast<double>(lw))) *
                      lw;
      auto& h = hist[lstart];
      auto add = [&](LengthField f, double v) { h[static_cast<int>(f)][v] += 1.0; };
      if (trace.category == Category::kMultimodal) {
        add(LengthField::kTextTokens, static_cast<double>(std::max<int64_t>(0, r.text_tokens)));
        add(LengthField::kImageCount, r.image_count);
        add(LengthField::kAudioCount, r.audio_count);
        add(LengthField::kVideoCount, r.video_count);
        const size_t img = r.items_offset, aud = img + r.image_count, vid = aud + r.audio_count;
        for (size_t k = img; k < aud; ++k)
          add(LengthField::kImageTokens, static_cast<double>(trace.batch.item_tokens[k]));
        for (size_t k = aud; k < vid; ++k)
          add(LengthField::kAudioTokens, static_cast<double>(trace.batch.item_tokens[k]));
        for (size_t k = vid; k < vid + r.video_count; ++k) {
          add(LengthField::kVideoTokens, static_cast<double>(trace.batch.item_tokens[k]));
        }
      } else {
        add(LengthField::kInputTokens, static_cast<double>(r.input_tokens));
      }
      add(LengthField::kOutputTokens, static_cast<double>(r.output_tokens));
      if (trace.category == Category::kReason) {
        double ratio = r.reason_ratio >= 0 ? r.reason_ratio
                       : r.output_tokens > 0
                           ? static_cast<double>(std::max<int64_t>(0, r.reasoning_tokens)) /
                                 static_cast<double>(r.output_tokens)
                           : 0.0;
        ratio = std::clamp(std::round(ratio * 500.0) / 500.0, 0.0, 1.0);  // ServeGen's 1/500 grid
        add(LengthField::kReasonRatio, ratio);
      }
    }
    for (const auto& [lstart, fields] : hist) {
      LengthWindow win;
      win.start = lstart;
      for (int f = 0; f < kNumLengthFields; ++f) {
        if (fields[f].empty()) continue;
        const bool integral = static_cast<LengthField>(f) != LengthField::kReasonRatio;
        win.fields[f] = FromHistogram(fields[f], opt.max_support, integral);
      }
      // Multimodal windows with no items of a modality still need a (zero) token distribution.
      for (LengthField f :
           {LengthField::kImageTokens, LengthField::kAudioTokens, LengthField::kVideoTokens}) {
        if (trace.category == Category::kMultimodal && !win.fields[static_cast<int>(f)]) {
          win.fields[static_cast<int>(f)] =
              std::move(EmpiricalDistribution::FromPairs({{0.0, 1.0}})).value();
        }
      }
      c.lengths.push_back(std::move(win));
    }
    // Input/output rank correlation, so generation keeps its sign (the default coupling uses it).
    if (idx.size() >= 3) {
      std::vector<double> in, out;
      in.reserve(idx.size());
      out.reserve(idx.size());
      for (size_t i : idx) {
        in.push_back(static_cast<double>(
            trace.category == Category::kMultimodal ? reqs[i].text_tokens : reqs[i].input_tokens));
        out.push_back(static_cast<double>(reqs[i].output_tokens));
      }
      const auto [imin, imax] = std::minmax_element(in.begin(), in.end());
      const auto [omin, omax] = std::minmax_element(out.begin(), out.end());
      const bool varies = *imin != *imax && *omin != *omax;
      if (varies) c.io_rank_corr = std::round(SpearmanCorrelation(in, out) * 1e4) / 1e4;
    }
    if (trace.has_sessions) {
      const auto stats = MeasureConversations(trace, idx, opt.reply_tokens_per_s);
      c.conversations = FitConversationModel(stats, opt.block_tokens);
      if (c.conversations) ++summary.clients_with_conversations;
    }
    spdlog::debug("fitted client {}: {} requests, {} length windows", c.id, idx.size(),
                  c.lengths.size());
    pool.clients.push_back(std::move(c));
    if (opt.progress)
      opt.progress(static_cast<double>(pool.clients.size()) / static_cast<double>(order.size()));
  }
  summary.clients = pool.clients.size();
  summary.windows = num_windows;
  if (!trace.has_client_ids) {
    pool.notes.push_back("the log has no client ids: fitted as one client \"all\"");
  }
  pool.notes.insert(pool.notes.end(), summary.warnings.begin(), summary.warnings.end());
  if (summary_out) *summary_out = summary;
  return pool;
}

}  // namespace llms::servegen
