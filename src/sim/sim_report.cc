// JSON and HTML output of `aegaeon sim`.
#include "sim/sim_report.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/report.h"
#include "core/svg_chart.h"

namespace llms::sim {

namespace {

constexpr std::string_view kCss =
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}\n"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
    "th{background:#f3f3f3}td:first-child{text-align:left}";

std::string Page(const std::string& title, const std::string& body) {
  return HtmlPage(title, kCss, "<h1>" + HtmlEscape(title) + "</h1>\n" + body + "\n");
}

}  // namespace

nlohmann::json PointJson(const PointResult& p) {
  nlohmann::json rejected = nlohmann::json::object();
  for (const auto& [reason, n] : p.rejected_by_reason) rejected[reason] = n;
  nlohmann::json j = SloSummaryJson(p.summary);
  j.update(nlohmann::json{{"policy", p.policy},
                          {"num_models", p.num_models},
                          {"rate_per_model", p.rate_per_model},
                          {"requests", p.requests},
                          {"rejected", p.rejected},
                          {"rejected_by_reason", rejected},
                          {"unfinished", p.unfinished},
                          {"switches", p.switches},
                          {"switches_per_s", p.switches_per_s},
                          {"mean_switch_phases_s",
                           {{"stop", p.mean_switch.stop_s},
                            {"kv_out", p.mean_switch.kv_out_s},
                            {"engine_start", p.mean_switch.engine_start_s},
                            {"weights_in", p.mean_switch.weights_in_s},
                            {"kv_in", p.mean_switch.kv_in_s},
                            {"first_step", p.mean_switch.first_step_s}}},
                          {"utilisation", p.utilisation},
                          {"peak_memory_fraction", p.peak_memory_fraction},
                          {"simulated_s", p.simulated_s},
                          {"events", p.events},
                          {"wall_s", p.wall_s}});
  if (!p.slo_classes.empty()) {
    nlohmann::json classes = nlohmann::json::object();
    for (size_t k = 0; k < p.slo_classes.size(); ++k) {
      classes[p.slo_classes[k].name] = SloSummaryJson(p.per_class[k]);
      classes[p.slo_classes[k].name]["slo"] = {{"ttft_s", p.slo_classes[k].slo.ttft_s},
                                               {"tpot_s", p.slo_classes[k].slo.tpot_s}};
    }
    j["per_slo_class"] = classes;
  }
  return j;
}

std::string SweepHtml(const ExperimentSpec& spec, const std::vector<PointResult>& points) {
  std::string body = fmt::format("<p>{}</p>\n<p>Experiment: <code>{}</code></p>\n",
                                 HtmlEscape(spec.description), HtmlEscape(spec.path));
  std::set<double> rates;
  std::vector<std::string> policies;
  for (const auto& p : points) {
    rates.insert(p.rate_per_model);
    if (std::find(policies.begin(), policies.end(), p.policy) == policies.end()) {
      policies.push_back(p.policy);
    }
  }
  const auto best = MaxModelsAtAttainment(points, 0.9);
  for (double rate : rates) {
    body += fmt::format(
        "<h2>{} req/s per model</h2>\n<table><tr><th>policy</th><th>largest "
        "number of models at &ge; 90% SLO attainment</th></tr>\n",
        rate);
    for (const auto& pol : policies) {
      body += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", pol, best.at({pol, rate}));
    }
    body += "</table>\n";
    LineChartSpec att{fmt::format("SLO attainment, {} req/s per model", rate),
                      "models",
                      "SLO attainment",
                      false,
                      false,
                      900,
                      360,
                      {}};
    LineChartSpec good{fmt::format("Goodput, {} req/s per model", rate),
                       "models",
                       "requests/s meeting both SLOs",
                       false,
                       false,
                       900,
                       360,
                       {}};
    LineChartSpec ttft{fmt::format("TTFT p99, {} req/s per model", rate),
                       "models",
                       "seconds",
                       false,
                       true,
                       900,
                       360,
                       {}};
    for (const auto& pol : policies) {
      ChartSeries a{pol, {}, false, false}, g{pol, {}, false, false}, t{pol, {}, false, false};
      for (const auto& p : points) {
        if (p.policy != pol || p.rate_per_model != rate) continue;
        a.points.push_back({static_cast<double>(p.num_models), p.summary.slo_attainment});
        g.points.push_back({static_cast<double>(p.num_models), p.summary.goodput_rps});
        t.points.push_back(
            {static_cast<double>(p.num_models), std::max(p.summary.ttft_s.p99, 1e-3)});
      }
      att.series.push_back(a);
      good.series.push_back(g);
      ttft.series.push_back(t);
    }
    body +=
        RenderLineChart(att) + "\n" + RenderLineChart(good) + "\n" + RenderLineChart(ttft) + "\n";
  }
  body +=
      "<h2>All points</h2>\n<table><tr><th>policy</th><th>models</th><th>rate</th><th>SLO "
      "attainment</th><th>conventional</th><th>goodput</th><th>TTFT p99 (s)</th><th>TPOT p99 "
      "(s)</th><th>switches</th><th>rejected</th><th>utilisation</th></tr>\n";
  for (const auto& p : points) {
    body += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td><td>{:.3f}</td><td>{:."
        "2f}</td><td>{:.3f}</td><td>{}</td><td>{}</td><td>{:.2f}</td></tr>\n",
        p.policy, p.num_models, p.rate_per_model, p.summary.slo_attainment,
        p.summary.conventional_attainment, p.summary.goodput_rps, p.summary.ttft_s.p99,
        p.summary.tpot_s.p99, p.switches, p.rejected, p.utilisation);
  }
  body += "</table>\n";
  return Page("aegaeon sim sweep", body);
}

std::string RunHtml(const ExperimentSpec& spec, const PointResult& p) {
  const SloSummary& s = p.summary;
  std::string body = fmt::format(
      "<p>{}</p>\n<p>Policy <b>{}</b>, {} models at {} req/s each: {} requests, {} completed, {} "
      "failed ({} rejected, {} unfinished).</p>\n<table><tr><th>metric</th><th>value</th></tr>\n"
      "<tr><td>SLO attainment (token-level)</td><td>{:.3f}</td></tr>\n"
      "<tr><td>conventional attainment</td><td>{:.3f}</td></tr>\n"
      "<tr><td>goodput (req/s)</td><td>{:.3f}</td></tr>\n"
      "<tr><td>TTFT p50 / p99 (s)</td><td>{:.3f} / {:.3f}</td></tr>\n"
      "<tr><td>TPOT p50 / p99 (s)</td><td>{:.4f} / {:.4f}</td></tr>\n"
      "<tr><td>switches (per s)</td><td>{} ({:.2f})</td></tr>\n"
      "<tr><td>mean switch: kv out / engine start / weights in / kv in / first step (s)</td><td>"
      "{:.4f} / {:.3f} / {:.3f} / {:.4f} / {:.4f}</td></tr>\n"
      "<tr><td>utilisation</td><td>{:.2f}</td></tr>\n"
      "<tr><td>peak instance memory in use</td><td>{:.0f}%</td></tr>\n</table>\n",
      HtmlEscape(spec.description), p.policy, p.num_models, p.rate_per_model, p.requests,
      s.completed, s.failed, p.rejected, p.unfinished, s.slo_attainment, s.conventional_attainment,
      s.goodput_rps, s.ttft_s.p50, s.ttft_s.p99, s.tpot_s.p50, s.tpot_s.p99, p.switches,
      p.switches_per_s, p.mean_switch.kv_out_s, p.mean_switch.engine_start_s,
      p.mean_switch.weights_in_s, p.mean_switch.kv_in_s, p.mean_switch.first_step_s, p.utilisation,
      100 * p.peak_memory_fraction);
  std::vector<double> ttft, tpot;
  for (const auto& t : p.timings) {
    if (t.failed || t.token_s.empty()) continue;
    ttft.push_back(std::max(t.token_s.front() - t.arrival_s, 1e-4));
    if (t.token_s.size() > 1) {
      tpot.push_back(std::max(
          (t.token_s.back() - t.token_s.front()) / static_cast<double>(t.token_s.size() - 1),
          1e-4));
    }
  }
  LineChartSpec c1{"TTFT distribution",
                   "seconds",
                   "fraction of requests",
                   true,
                   false,
                   900,
                   340,
                   {{"TTFT", SampleCdf(ttft), true, false}}};
  LineChartSpec c2{"TPOT distribution",
                   "seconds",
                   "fraction of requests",
                   true,
                   false,
                   900,
                   340,
                   {{"TPOT", SampleCdf(tpot), true, false}}};
  body += RenderLineChart(c1) + "\n" + RenderLineChart(c2) + "\n";
  return Page("aegaeon sim run", body);
}

}  // namespace llms::sim
