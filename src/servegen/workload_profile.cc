// WorkloadProfile: computation, JSON and the HTML section.
#include "servegen/workload_profile.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/report.h"
#include "core/slo.h"
#include "core/stats.h"
#include "core/svg_chart.h"

namespace llms::servegen {

namespace {

int Log2Bin(int64_t v) {
  int b = 0;
  while (v >= 2 && b < 40) {
    v >>= 1;
    ++b;
  }
  return b;
}

// The busiest aligned window of `w` seconds and the 99th percentile over all of them, in one pass
// over the (sorted) requests, holding only the non-empty windows' counts: a stray timestamp far
// out makes many empty windows, not a large allocation.
PeakRate Peak(const Trace& trace, double start, double duration, double w) {
  PeakRate p;
  p.window_s = w;
  std::vector<double> counts;  // of the non-empty windows
  int64_t window = -1;
  double req = 0, in = 0, out = 0;
  auto close = [&] {
    if (window < 0) return;
    counts.push_back(req);
    p.requests_per_s = std::max(p.requests_per_s, req / w);
    p.input_tokens_per_s = std::max(p.input_tokens_per_s, in / w);
    p.output_tokens_per_s = std::max(p.output_tokens_per_s, out / w);
    req = in = out = 0;
  };
  for (const Request& r : trace.batch.requests) {
    const auto k = static_cast<int64_t>(std::max(0.0, (r.timestamp - start) / w));
    if (k != window) {
      close();
      window = k;
    }
    req += 1;
    in += static_cast<double>(r.input_tokens);
    out += static_cast<double>(r.output_tokens);
  }
  close();
  // The p99 over all windows, the empty ones (zeros) included.
  const double all = std::max(static_cast<double>(counts.size()), std::ceil(duration / w));
  const auto rank = static_cast<size_t>(0.99 * all);  // 0-based, in ascending order
  const size_t zeros = static_cast<size_t>(all) - counts.size();
  if (rank >= zeros && !counts.empty()) {
    const size_t k = std::min(counts.size() - 1, rank - zeros);
    std::nth_element(counts.begin(), counts.begin() + static_cast<ptrdiff_t>(k), counts.end());
    p.p99_requests_per_s = counts[k] / w;
  }
  return p;
}

// The project's percentiles (core/slo.h) with the sample size; null for an empty sample.
nlohmann::json Quantiles(const std::vector<double>& values) {
  if (values.empty()) return nullptr;
  nlohmann::json j = PercentilesJson(Summarize(values));
  j["n"] = values.size();
  return j;
}

// Four significant digits, without exponents for the large rates a planner reads.
std::string Fmt(double v) {
  return std::fabs(v) >= 1000 ? fmt::format("{:.0f}", v) : fmt::format("{:.4g}", v);
}

}  // namespace

WorkloadProfile ProfileWorkload(const Trace& trace, double reply_tokens_per_s) {
  WorkloadProfile p;
  const auto& reqs = trace.batch.requests;
  p.requests = static_cast<int64_t>(reqs.size());
  if (reqs.empty()) return p;
  p.start = reqs.front().timestamp;
  p.duration = std::max(1.0, reqs.back().timestamp - p.start);
  // About 200 bins of whole seconds (or finer for short traces).
  p.bin_s = std::max(1.0, std::ceil(p.duration / 200.0));
  const size_t bins = static_cast<size_t>(std::ceil(p.duration / p.bin_s)) + 1;
  p.input_tokens_per_s.assign(bins, 0);
  p.output_tokens_per_s.assign(bins, 0);
  std::vector<double> in, out;
  in.reserve(reqs.size());
  out.reserve(reqs.size());
  for (const Request& r : reqs) {
    const size_t k = std::min(bins - 1, static_cast<size_t>((r.timestamp - p.start) / p.bin_s));
    p.input_tokens_per_s[k] += static_cast<double>(r.input_tokens) / p.bin_s;
    p.output_tokens_per_s[k] += static_cast<double>(r.output_tokens) / p.bin_s;
    const int bi = Log2Bin(r.input_tokens), bo = Log2Bin(r.output_tokens);
    if (static_cast<size_t>(bi) >= p.joint.size()) p.joint.resize(static_cast<size_t>(bi) + 1);
    for (auto& row : p.joint) {
      if (static_cast<size_t>(bo) >= row.size()) row.resize(static_cast<size_t>(bo) + 1, 0);
    }
    in.push_back(static_cast<double>(r.input_tokens));
    out.push_back(static_cast<double>(r.output_tokens));
    if (r.reasoning_tokens >= 0)
      p.reasoning_tokens.push_back(static_cast<double>(r.reasoning_tokens));
    if (r.reason_ratio >= 0) p.reason_ratio.push_back(r.reason_ratio);
    if (r.text_tokens >= 0) {
      p.images_per_request.push_back(r.image_count);
      for (uint16_t k2 = 0; k2 < r.image_count; ++k2)
        p.image_tokens.push_back(static_cast<double>(trace.batch.item_tokens[r.items_offset + k2]));
    }
  }
  size_t cols = 0;
  for (const auto& row : p.joint) cols = std::max(cols, row.size());
  for (auto& row : p.joint) row.resize(cols, 0);
  for (const Request& r : reqs) {
    ++p.joint[static_cast<size_t>(Log2Bin(r.input_tokens))]
             [static_cast<size_t>(Log2Bin(r.output_tokens))];
  }
  p.io_rank_corr = SpearmanCorrelation(in, out);
  for (double w : {1.0, 10.0}) p.peaks.push_back(Peak(trace, p.start, p.duration, w));
  for (auto* v : {&p.reasoning_tokens, &p.reason_ratio, &p.images_per_request, &p.image_tokens})
    std::sort(v->begin(), v->end());

  std::vector<size_t> all(reqs.size());
  std::iota(all.begin(), all.end(), 0);
  p.conversations = MeasureConversations(trace, all, reply_tokens_per_s);
  std::vector<std::vector<size_t>> by_client(trace.clients.size());
  for (size_t i = 0; i < reqs.size(); ++i) by_client[reqs[i].client].push_back(i);
  for (size_t c = 0; c < by_client.size(); ++c) {
    if (by_client[c].empty()) continue;
    ClientProfile cp;
    cp.id = trace.clients[c];
    cp.requests = static_cast<int64_t>(by_client[c].size());
    cp.share = static_cast<double>(cp.requests) / static_cast<double>(reqs.size());
    const ConversationStats s = MeasureConversations(trace, by_client[c], reply_tokens_per_s);
    cp.mean_turns = s.in_sessions > 0 ? s.mean_turns : 0.0;
    cp.prefix_reuse = s.reuse_ratio();
    cp.prefix_share = s.prefix_share;
    cp.system_prompts = s.system_prompts;
    p.clients.push_back(cp);
  }
  std::stable_sort(p.clients.begin(), p.clients.end(),
                   [](const auto& a, const auto& b) { return a.requests > b.requests; });
  return p;
}

std::string WorkloadProfileJsonText(const WorkloadProfile& p) {
  using nlohmann::json;
  json j;
  j["requests"] = p.requests;
  j["start_s"] = p.start;
  j["duration_s"] = p.duration;
  j["tokens_per_s"] = {
      {"bin_s", p.bin_s}, {"input", p.input_tokens_per_s}, {"output", p.output_tokens_per_s}};
  json peaks = json::array();
  for (const auto& k : p.peaks) {
    peaks.push_back({{"window_s", k.window_s},
                     {"requests_per_s", k.requests_per_s},
                     {"p99_requests_per_s", k.p99_requests_per_s},
                     {"input_tokens_per_s", k.input_tokens_per_s},
                     {"output_tokens_per_s", k.output_tokens_per_s}});
  }
  j["peaks"] = peaks;
  j["joint_lengths"] = {{"bins", "power-of-two: bin k holds [2^k, 2^(k+1)) tokens"},
                        {"counts_input_by_output", p.joint},
                        {"rank_correlation", p.io_rank_corr}};
  const ConversationStats& c = p.conversations;
  json think = Quantiles(c.think_s);
  j["conversations"] = {{"requests_in_conversations", c.in_sessions},
                        {"conversations", c.conversations},
                        {"mean_turns", c.mean_turns},
                        {"turns_histogram", c.turns},
                        {"think_time_s", think}};
  j["prefixes"] = {{"blocks", c.blocks},
                   {"reused_blocks", c.reused_blocks},
                   {"reuse_ratio", c.reuse_ratio()},
                   {"system_prompts", c.system_prompts},
                   {"system_prompt_blocks", c.system_prompt_blocks},
                   {"prefix_share", c.prefix_share}};
  if (!p.reasoning_tokens.empty())
    j["reasoning"] = {{"reasoning_tokens", Quantiles(p.reasoning_tokens)},
                      {"reason_ratio", Quantiles(p.reason_ratio)}};
  if (!p.images_per_request.empty())
    j["images"] = {{"per_request", Quantiles(p.images_per_request)},
                   {"tokens_per_image", Quantiles(p.image_tokens)}};
  json clients = json::array();
  for (const auto& cp : p.clients) {
    clients.push_back({{"id", cp.id},
                       {"requests", cp.requests},
                       {"share", cp.share},
                       {"mean_turns", cp.mean_turns},
                       {"prefix_reuse", cp.prefix_reuse},
                       {"prefix_share", cp.prefix_share},
                       {"system_prompts", cp.system_prompts}});
  }
  j["clients"] = clients;
  return j.dump();
}

std::string WorkloadProfileHtml(const WorkloadProfile& p) {
  std::string h = "<h2>Workload profile (what a capacity planner reads)</h2>\n";
  h += "<table id=\"peaks\"><tr><th>window</th><th>peak requests/s</th><th>p99 requests/s</th>"
       "<th>peak input tokens/s</th><th>peak output tokens/s</th></tr>\n";
  for (const auto& k : p.peaks) {
    h += fmt::format("<tr><td>{:g} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     k.window_s, Fmt(k.requests_per_s), Fmt(k.p99_requests_per_s),
                     Fmt(k.input_tokens_per_s), Fmt(k.output_tokens_per_s));
  }
  h += "</table>\n<div class=\"charts\">\n";
  LineChartSpec tok;
  tok.title = fmt::format("Tokens per second ({:g} s bins)", p.bin_s);
  tok.x_label = "time since the first request (s)";
  tok.y_label = "tokens / s";
  ChartSeries tin{"input", {}, true, false}, tout{"output", {}, true, true};
  for (size_t k = 0; k < p.input_tokens_per_s.size(); ++k) {
    tin.points.emplace_back(static_cast<double>(k) * p.bin_s, p.input_tokens_per_s[k]);
    tout.points.emplace_back(static_cast<double>(k) * p.bin_s, p.output_tokens_per_s[k]);
  }
  tok.series = {tin, tout};
  h += RenderLineChart(tok);
  LineChartSpec shares;
  shares.title = "Client shares by rank (log-log)";
  shares.x_label = "client rank";
  shares.y_label = "share of requests";
  shares.log_x = shares.log_y = true;
  ChartSeries sh{"share", {}, false, false};
  for (size_t i = 0; i < p.clients.size(); ++i)
    sh.points.emplace_back(static_cast<double>(i + 1), p.clients[i].share);
  shares.series = {sh};
  h += RenderLineChart(shares);
  h += "</div>\n";
  // Joint lengths as a table of shaded cells.
  h += fmt::format(
      "<h3>Input x output lengths (requests per power-of-two bin; rank correlation {:.3f})</h3>\n"
      "<table id=\"joint\"><tr><th>input \\ output</th>",
      p.io_rank_corr);
  const size_t cols = p.joint.empty() ? 0 : p.joint[0].size();
  int64_t most = 1;
  for (const auto& row : p.joint)
    for (int64_t v : row) most = std::max(most, v);
  for (size_t c = 0; c < cols; ++c) h += fmt::format("<th>{}</th>", int64_t{1} << c);
  h += "</tr>\n";
  for (size_t r = 0; r < p.joint.size(); ++r) {
    h += fmt::format("<tr><th>{}</th>", int64_t{1} << r);
    for (size_t c = 0; c < cols; ++c) {
      const int64_t v = p.joint[r][c];
      const double f =
          v > 0 ? std::log1p(static_cast<double>(v)) / std::log1p(static_cast<double>(most)) : 0;
      h += fmt::format("<td style=\"background:rgba(31,119,180,{:.2f})\">{}</td>", f,
                       v > 0 ? std::to_string(v) : "");
    }
    h += "</tr>\n";
  }
  h += "</table>\n";
  const ConversationStats& c = p.conversations;
  h += "<h3>Conversations and prefixes</h3>\n<table id=\"conversations\">\n";
  h += fmt::format("<tr><td>requests in conversations</td><td>{} of {}</td></tr>\n", c.in_sessions,
                   c.requests);
  h += fmt::format("<tr><td>conversations (a request alone counts as one)</td><td>{}</td></tr>\n",
                   c.conversations);
  h += fmt::format("<tr><td>mean turns per conversation</td><td>{:.3f}</td></tr>\n", c.mean_turns);
  if (!c.think_s.empty()) {
    const Percentiles think = Summarize(c.think_s);
    h +=
        fmt::format("<tr><td>think time p50 / p90 (n = {})</td><td>{:.1f} s / {:.1f} s</td></tr>\n",
                    c.think_s.size(), think.p50, think.p90);
  }
  h += fmt::format(
      "<tr><td>prompt blocks an earlier request held (prefix reuse)</td><td>{:.1f}% of "
      "{}</td></tr>\n",
      100 * c.reuse_ratio(), c.blocks);
  h += fmt::format(
      "<tr><td>shared system prompts (first blocks starting 2+ conversations)</td><td>{}, "
      "{} blocks long (median); {:.1f}% of the first turns that could hold one</td></tr>\n"
      "</table>\n",
      c.system_prompts, c.system_prompt_blocks, 100 * c.prefix_share);
  if (!p.reasoning_tokens.empty() || !p.images_per_request.empty()) {
    h += "<h3>Reasoning and images</h3>\n<table id=\"fields\"><tr><th>field</th><th>n</th>"
         "<th>mean</th><th>p50</th><th>p90</th><th>max</th></tr>\n";
    auto row = [&](const char* name, const std::vector<double>& v) {
      if (v.empty()) return;
      const Percentiles s = Summarize(v);
      h += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", name,
          v.size(), Fmt(s.mean), Fmt(s.p50), Fmt(s.p90), Fmt(s.max));
    };
    row("reasoning tokens", p.reasoning_tokens);
    row("reasoning ratio", p.reason_ratio);
    row("images per request", p.images_per_request);
    row("tokens per image", p.image_tokens);
    h += "</table>\n";
  }
  h += "<h3>Clients: conversations and prefixes</h3>\n<table "
       "id=\"client-profile\"><tr><th>client</th><th>requests</th>"
       "<th>share</th><th>mean turns</th><th>prefix reuse</th><th>system prompts</th>"
       "<th>prefix share</th></tr>\n";
  for (size_t i = 0; i < p.clients.size() && i < 50; ++i) {
    const auto& cp = p.clients[i];
    h += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{:.3f}%</td><td>{:.2f}</td><td>{:.1f}%</td><td>{}</td>"
        "<td>{:.1f}%</td></tr>\n",
        HtmlEscape(cp.id), cp.requests, 100 * cp.share, cp.mean_turns, 100 * cp.prefix_reuse,
        cp.system_prompts, 100 * cp.prefix_share);
  }
  h += "</table>\n";
  if (p.clients.size() > 50)
    h += fmt::format("<p class=\"note\">{} more clients in the JSON.</p>\n", p.clients.size() - 50);
  return h;
}

}  // namespace llms::servegen
