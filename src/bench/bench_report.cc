// JSON, terminal and HTML renderings of a benchmark result.
#include "bench/bench_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/report.h"
#include "core/svg_chart.h"

namespace llms::bench {

namespace {

using nlohmann::json;

}  // namespace

std::string ResultJson(const BenchOptions& o, const BenchResult& r, bool include_requests) {
  json j = SloSummaryJson(r.summary);
  if (!o.label.empty()) j["label"] = o.label;
  j["endpoint"] =
      fmt::format("http://{}:{}{}", o.endpoint.host, o.endpoint.port, o.endpoint.base_path);
  j["api"] = o.api;
  j["models"] = r.models;
  j["mode"] = o.concurrency > 0 ? fmt::format("closed loop, concurrency {}", o.concurrency)
              : r.closed_loop_sessions
                  ? std::string(
                        "open loop; conversations closed loop (next turn after the reply "
                        "plus think time)")
                  : std::string("open loop");
  j["speed"] = o.workload.time_scale;
  j["requests"] = r.records.size();
  j["duration_s"] = r.wall_s;
  j["request_throughput_rps"] =
      r.wall_s > 0 ? static_cast<double>(r.summary.completed) / r.wall_s : 0;
  j["input_tokens"] = r.input_tokens;
  j["output_tokens"] = r.output_tokens;
  j["slo"] = {{"ttft_s", o.slo.ttft_s}, {"tpot_s", o.slo.tpot_s}};
  j["send_lag_s"] = PercentilesJson(r.send_lag_s);
  j["connections_opened"] = r.connections;
  j["max_concurrent_requests"] = r.max_in_flight;
  j["errors"] = r.errors;
  json per = json::object();
  for (size_t m = 0; m < r.models.size(); ++m) {
    per[r.models[m]] = SloSummaryJson(r.per_model[m]);
    auto own = o.model_slo.find(r.models[m]);
    const SloTargets& slo = own != o.model_slo.end() ? own->second : o.slo;
    per[r.models[m]]["slo"] = {{"ttft_s", slo.ttft_s}, {"tpot_s", slo.tpot_s}};
  }
  j["per_model"] = per;
  if (!r.slo_classes.empty()) {
    json classes = json::object();
    for (size_t k = 0; k < r.slo_classes.size(); ++k) {
      classes[r.slo_classes[k].name] = SloSummaryJson(r.per_class[k]);
      classes[r.slo_classes[k].name]["slo"] = {{"ttft_s", r.slo_classes[k].slo.ttft_s},
                                               {"tpot_s", r.slo_classes[k].slo.tpot_s}};
    }
    j["per_slo_class"] = classes;
  }
  if (include_requests) {
    json reqs = json::array();
    for (const RequestRecord& rec : r.records) {
      json q = {{"model", r.models[static_cast<size_t>(rec.model)]},
                {"input_tokens", rec.input_tokens},
                {"max_tokens", rec.max_tokens},
                {"output_tokens", rec.output_tokens},
                {"scheduled_s", rec.scheduled_s},
                {"sent_s", rec.sent_s},
                {"end_s", rec.end_s},
                {"status", rec.status},
                {"token_s", rec.token_s}};
      if (!rec.error.empty()) q["error"] = rec.error;
      if (rec.turn > 0) q["turn"] = rec.turn;
      if (rec.prompt_tokens >= 0) q["prompt_tokens"] = rec.prompt_tokens;
      if (rec.slo_class >= 0)
        q["slo_class"] = r.slo_classes[static_cast<size_t>(rec.slo_class)].name;
      reqs.push_back(q);
    }
    j["per_request"] = reqs;
  }
  return j.dump(2);
}

std::string TerminalSummary(const BenchOptions& o, const BenchResult& r) {
  const SloSummary& s = r.summary;
  std::string out = fmt::format(
      "aegaeon bench: {} requests in {:.1f} s ({}): {} completed, {} failed\n", r.records.size(),
      r.wall_s, o.concurrency > 0 ? fmt::format("concurrency {}", o.concurrency) : "open loop",
      s.completed, s.failed);
  out += fmt::format("  {:<22}{:>10}{:>10}{:>10}{:>10}\n", "", "mean", "p50", "p90", "p99");
  auto row = [&](const char* name, const Percentiles& p, double scale, const char* unit) {
    out += fmt::format("  {:<22}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}\n",
                       fmt::format("{} ({})", name, unit), p.mean * scale, p.p50 * scale,
                       p.p90 * scale, p.p99 * scale);
  };
  row("TTFT", s.ttft_s, 1000, "ms");
  row("TPOT", s.tpot_s, 1000, "ms");
  row("TBT", s.tbt_s, 1000, "ms");
  row("end-to-end", s.e2e_s, 1, "s");
  row("send lag", r.send_lag_s, 1000, "ms");
  out += fmt::format(
      "  SLO (TTFT {} s, TPOT {} s): attainment {:.1f}% (token-level), {:.1f}% of requests meet "
      "both; goodput {:.2f} req/s\n",
      o.slo.ttft_s, o.slo.tpot_s, 100 * s.slo_attainment, 100 * s.conventional_attainment,
      s.goodput_rps);
  for (const auto& [name, slo] : o.model_slo) {
    out += fmt::format("    model {} judged by its own SLO (TTFT {} s, TPOT {} s)\n", name,
                       slo.ttft_s, slo.tpot_s);
  }
  for (size_t k = 0; k < r.slo_classes.size(); ++k) {
    const SloSummary& c = r.per_class[k];
    out += fmt::format(
        "    class {} (TTFT {} s, TPOT {} s): {} requests, attainment {:.1f}%, {:.1f}% meet "
        "both\n",
        r.slo_classes[k].name, r.slo_classes[k].slo.ttft_s, r.slo_classes[k].slo.tpot_s,
        c.completed + c.failed, 100 * c.slo_attainment, 100 * c.conventional_attainment);
  }
  if (r.closed_loop_sessions) {
    out += "  conversations: each later turn sent its think time after the previous reply ended\n";
  }
  out += fmt::format("  throughput: {:.2f} req/s, {:.1f} output tok/s; {} connections opened\n",
                     r.wall_s > 0 ? static_cast<double>(s.completed) / r.wall_s : 0,
                     r.wall_s > 0 ? static_cast<double>(r.output_tokens) / r.wall_s : 0,
                     r.connections);
  for (const auto& [kind, n] : r.errors) out += fmt::format("  errors ({}): {}\n", kind, n);
  for (const RequestRecord& rec : r.records) {
    if (!rec.error.empty()) {
      out += "  first error: " + rec.error + "\n";
      break;
    }
  }
  return out;
}

std::string ResultHtml(const BenchOptions& o, const BenchResult& r) {
  std::vector<double> ttft, tpot, lag;
  std::vector<std::pair<double, double>> sent, done;
  const double bin = std::max(1.0, std::ceil(r.wall_s / 120));
  std::vector<double> tokens(static_cast<size_t>(r.wall_s / bin) + 2, 0.0);
  for (const RequestRecord& rec : r.records) {
    if (rec.sent_s >= 0) lag.push_back((rec.sent_s - rec.scheduled_s) * 1000);
    if (!rec.error.empty() || rec.token_s.empty()) continue;
    ttft.push_back(rec.token_s.front() - rec.sent_s);
    if (rec.token_s.size() > 1) {
      tpot.push_back((rec.token_s.back() - rec.token_s.front()) /
                     static_cast<double>(rec.token_s.size() - 1));
    }
    for (double t : rec.token_s) {
      const size_t b = static_cast<size_t>(t / bin);
      if (b < tokens.size()) tokens[b] += 1.0 / bin;
    }
  }
  LineChartSpec c1{"Time to first token",
                   "seconds",
                   "fraction of requests",
                   false,
                   false,
                   640,
                   320,
                   {{"TTFT", SampleCdf(ttft), true, false}}};
  LineChartSpec c2{"Time per output token",
                   "seconds",
                   "fraction of requests",
                   false,
                   false,
                   640,
                   320,
                   {{"TPOT", SampleCdf(tpot), true, false}}};
  std::vector<std::pair<double, double>> tp;
  for (size_t i = 0; i < tokens.size(); ++i)
    tp.emplace_back(static_cast<double>(i) * bin, tokens[i]);
  LineChartSpec c3{
      "Output tokens per second",       "seconds since start", "tokens/s", false, false, 640, 320,
      {{"throughput", tp, true, false}}};
  LineChartSpec c4{"Send lag (actual minus scheduled)",
                   "milliseconds",
                   "fraction of requests",
                   false,
                   false,
                   640,
                   320,
                   {{"lag", SampleCdf(lag), true, false}}};
  const std::string summary = TerminalSummary(o, r);
  return HtmlPage("aegaeon bench",
                  "body{font-family:sans-serif;max-width:1340px;margin:24px auto}"
                  "pre{background:#f5f5f5;padding:12px}\n"
                  ".charts{display:flex;flex-wrap:wrap;gap:16px}",
                  fmt::format("<h1>aegaeon bench</h1>\n<p>Models: {}</p>\n<pre>{}</pre>\n"
                              "<div class=\"charts\">\n{}\n{}\n{}\n{}\n</div>",
                              HtmlEscape(fmt::format("{}", fmt::join(r.models, ", "))),
                              HtmlEscape(summary), RenderLineChart(c1), RenderLineChart(c2),
                              RenderLineChart(c3), RenderLineChart(c4)));
}

Result<std::string> CompareResults(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, json>> results;
  for (const std::string& path : paths) {
    std::ifstream f(path);
    if (!f) return Result<std::string>::Error("cannot read " + path);
    json j = json::parse(f, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("completed")) {
      return Result<std::string>::Error(path + ": not an `aegaeon bench` result");
    }
    const std::string label = j.contains("label") && j["label"].is_string()
                                  ? j["label"].get<std::string>()
                                  : std::filesystem::path(path).stem().string();
    results.emplace_back(label, std::move(j));
  }
  auto num = [](const json& j, const std::vector<const char*>& keys) {
    const json* v = &j;
    for (const char* k : keys) {
      if (!v->is_object() || !v->contains(k)) return std::nan("");
      v = &(*v)[k];
    }
    return v->is_number() ? v->get<double>() : std::nan("");
  };
  struct Row {
    const char* name;
    std::vector<const char*>
        keys;  // (not an initializer_list: its array would not outlive the row)
    double scale;
    const char* format;
  };
  const std::vector<Row> rows{
      {"requests", {"requests"}, 1, "{:.0f}"},
      {"completed", {"completed"}, 1, "{:.0f}"},
      {"failed", {"failed"}, 1, "{:.0f}"},
      {"TTFT p50 (s)", {"ttft_s", "p50"}, 1, "{:.3f}"},
      {"TTFT p99 (s)", {"ttft_s", "p99"}, 1, "{:.3f}"},
      {"TPOT p50 (ms)", {"tpot_s", "p50"}, 1000, "{:.1f}"},
      {"TPOT p99 (ms)", {"tpot_s", "p99"}, 1000, "{:.1f}"},
      {"e2e p50 (s)", {"e2e_s", "p50"}, 1, "{:.2f}"},
      {"SLO attainment (%)", {"slo_attainment"}, 100, "{:.1f}"},
      {"meet both SLOs (%)", {"conventional_attainment"}, 100, "{:.1f}"},
      {"goodput (req/s)", {"goodput_rps"}, 1, "{:.3f}"},
      {"output tok/s", {"output_tokens_per_s"}, 1, "{:.1f}"},
  };
  std::string out = fmt::format("{:<22}", "");
  for (const auto& [label, j] : results) out += fmt::format("{:>18}", label);
  out += "\n";
  for (const Row& row : rows) {
    out += fmt::format("{:<22}", row.name);
    for (const auto& [label, j] : results) {
      const double v = num(j, row.keys) * row.scale;
      out += fmt::format("{:>18}", std::isnan(v) ? "-" : fmt::format(fmt::runtime(row.format), v));
    }
    out += "\n";
  }
  return out;
}

}  // namespace llms::bench
