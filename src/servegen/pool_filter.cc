// Pool filters and per-client summaries.
#include "servegen/pool_filter.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "core/text.h"

namespace llms::servegen {

Result<Range> ParseRange(const std::string& text, const std::string& flag) {
  const auto parts = Split(text, ':');
  if (parts.size() != 2) {
    return Result<Range>::Error(
        fmt::format("{} '{}': expected MIN:MAX (either side may be empty)", flag, text));
  }
  Range r{0.0, std::numeric_limits<double>::infinity()};
  if (!Trim(parts[0]).empty()) {
    const auto v = ParseDouble(parts[0]);
    if (!v)
      return Result<Range>::Error(
          fmt::format("{} '{}': '{}' is not a number", flag, text, parts[0]));
    r.min = *v;
  }
  if (!Trim(parts[1]).empty()) {
    const auto v = ParseDouble(parts[1]);
    if (!v)
      return Result<Range>::Error(
          fmt::format("{} '{}': '{}' is not a number", flag, text, parts[1]));
    r.max = *v;
  }
  if (r.min > r.max)
    return Result<Range>::Error(fmt::format("{} '{}': MIN is larger than MAX", flag, text));
  return r;
}

Result<std::pair<std::string, double>> ParseClientScale(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Result<std::pair<std::string, double>>::Error(
        fmt::format("--scale-client '{}': expected ID=FACTOR or topN=FACTOR, e.g. top1=2", text));
  }
  const auto f = ParseDouble(text.substr(eq + 1));
  if (!f || !std::isfinite(*f) || *f < 0) {
    return Result<std::pair<std::string, double>>::Error(
        fmt::format("--scale-client '{}': factor must be a finite number >= 0", text));
  }
  return std::make_pair(text.substr(0, eq), *f);
}

std::pair<size_t, size_t> SpanWindows(const ClientPool& pool, double start, double duration) {
  const double w = static_cast<double>(pool.window_seconds);
  const double rel0 = (start - static_cast<double>(pool.start)) / w;
  const double rel1 = (start + duration - static_cast<double>(pool.start)) / w;
  const size_t first =
      static_cast<size_t>(std::clamp(std::floor(rel0), 0.0, static_cast<double>(pool.num_windows)));
  const size_t last =
      static_cast<size_t>(std::clamp(std::ceil(rel1), 0.0, static_cast<double>(pool.num_windows)));
  return {first, std::max(first, last)};
}

ClientSummary SummarizeClient(const ClientPool& pool, const Client& c, size_t first, size_t last) {
  ClientSummary s;
  double weight = 0.0;
  const LengthField input =
      pool.category == Category::kMultimodal ? LengthField::kTextTokens : LengthField::kInputTokens;
  for (size_t k = first; k < last && k < c.windows.size(); ++k) {
    const TraceWindow& w = c.windows[k];
    s.mean_rate += w.active() ? w.rate : 0.0;
    if (!w.active()) continue;
    ++s.active_windows;
    weight += w.rate;
    s.mean_cv += w.rate * w.cv;
    const LengthWindow* lw =
        c.LengthsAt(pool.start + static_cast<int64_t>(k) * pool.window_seconds);
    if (!lw) continue;
    if (const auto* d = lw->Get(input)) {
      s.mean_input += w.rate * d->Mean();
      s.max_input = std::max(s.max_input, d->Max());
    }
    if (const auto* d = lw->Get(LengthField::kOutputTokens)) {
      s.mean_output += w.rate * d->Mean();
      s.max_output = std::max(s.max_output, d->Max());
    }
  }
  if (last > first) s.mean_rate = s.mean_rate * c.rate_scale / static_cast<double>(last - first);
  if (weight > 0) {
    s.mean_cv /= weight;
    s.mean_input /= weight;
    s.mean_output /= weight;
  }
  return s;
}

Result<ClientPool> ApplyFilter(const ClientPool& pool, const PoolFilter& filter, double span_start,
                               double duration) {
  if (duration <= 0) return Result<ClientPool>::Error("--duration must be > 0 seconds");
  if (span_start < static_cast<double>(pool.start) ||
      span_start + duration > static_cast<double>(pool.end())) {
    return Result<ClientPool>::Error(
        fmt::format("the span [{}, {}) s lies outside the data, which covers [{}, {}) s ({:.1f} "
                    "days); choose --start and "
                    "--duration inside it",
                    span_start, span_start + duration, pool.start, pool.end(),
                    static_cast<double>(pool.end() - pool.start) / 86400.0));
  }
  const auto [first, last] = SpanWindows(pool, span_start, duration);
  ClientPool out = pool;
  out.clients.clear();
  std::set<std::string> wanted(filter.client_ids.begin(), filter.client_ids.end());
  for (const auto& id : wanted) {
    const bool exists = std::any_of(pool.clients.begin(), pool.clients.end(),
                                    [&](const Client& c) { return c.id == id; });
    if (!exists) {
      return Result<ClientPool>::Error(fmt::format(
          "--clients: client '{}' is not in {} (see `servegen inspect`)", id, pool.source));
    }
  }
  std::vector<std::pair<const Client*, ClientSummary>> kept;
  for (const auto& c : pool.clients) {
    if (!wanted.empty() && !wanted.count(c.id)) continue;
    const ClientSummary s = SummarizeClient(pool, c, first, last);
    if (s.active_windows == 0) continue;
    if (filter.cv && !filter.cv->Contains(s.mean_cv)) continue;
    if (filter.mean_input && !filter.mean_input->Contains(s.mean_input)) continue;
    if (filter.mean_output && !filter.mean_output->Contains(s.mean_output)) continue;
    if (filter.max_input && s.max_input > *filter.max_input) continue;
    if (filter.max_output && s.max_output > *filter.max_output) continue;
    kept.emplace_back(&c, s);
  }
  // Rank by mean rate (ties by id order, which is the pool's order): stable.
  std::vector<size_t> order(kept.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return kept[a].second.mean_rate > kept[b].second.mean_rate;
  });
  if (filter.top_k > 0 && order.size() > filter.top_k) {
    std::vector<bool> keep(kept.size(), false);
    for (size_t i = 0; i < filter.top_k; ++i) keep[order[i]] = true;
    std::vector<std::pair<const Client*, ClientSummary>> top;
    for (size_t i = 0; i < kept.size(); ++i) {
      if (keep[i]) top.push_back(kept[i]);
    }
    kept = std::move(top);
    order.resize(kept.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return kept[a].second.mean_rate > kept[b].second.mean_rate;
    });
  }
  if (kept.empty()) {
    return Result<ClientPool>::Error(
        fmt::format("no client of {} is active in [{}, {}) s after the filters; widen the filters "
                    "or choose another span",
                    pool.source, span_start, span_start + duration));
  }
  for (const auto& [c, s] : kept) out.clients.push_back(*c);
  for (const auto& [selector, factor] : filter.scales) {
    bool found = false;
    if (selector.rfind("top", 0) == 0 && ParseInt(selector.substr(3))) {
      const int64_t rank = *ParseInt(selector.substr(3));
      if (rank >= 1 && static_cast<size_t>(rank) <= order.size()) {
        out.clients[order[static_cast<size_t>(rank - 1)]].rate_scale *= factor;
        found = true;
      }
    } else {
      for (auto& c : out.clients) {
        if (c.id == selector) {
          c.rate_scale *= factor;
          found = true;
        }
      }
    }
    if (!found) {
      return Result<ClientPool>::Error(
          fmt::format("--scale-client: no selected client matches '{}' ({} clients are selected)",
                      selector, out.clients.size()));
    }
  }
  return out;
}

}  // namespace llms::servegen
