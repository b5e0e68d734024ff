// LoadSweep: a workload at several rates against an endpoint or servers started per policy.
#include "bench/load_sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "bench/bench_report.h"
#include "bench/server_launcher.h"
#include "core/svg_chart.h"

namespace llms::bench {

namespace {

std::vector<std::string> Policies(const std::vector<RatePoint>& points) {
  std::vector<std::string> out;
  for (const RatePoint& p : points) {
    if (std::find(out.begin(), out.end(), p.policy) == out.end()) out.push_back(p.policy);
  }
  return out;
}

nlohmann::json CrossingsJson(const std::vector<RatePoint>& points) {
  nlohmann::json out = nlohmann::json::object();
  auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  for (const std::string& policy : Policies(points)) {
    const Crossing c = AttainmentCrossing(points, policy, 0.9);
    out[policy] = {{"last_at_or_above", opt(c.last_above)},
                   {"first_below", opt(c.first_below)},
                   {"crossing", opt(c.at)}};
  }
  return out;
}

std::string CrossingText(const std::vector<RatePoint>& points, const std::string& policy,
                         const char* unit) {
  const Crossing c = AttainmentCrossing(points, policy, 0.9);
  if (!c.first_below)
    return fmt::format("stays at or above 90% up to {:g} {}", c.last_above.value_or(0), unit);
  if (!c.at) return fmt::format("below 90% from the first rate ({:g} {})", *c.first_below, unit);
  return fmt::format("falls below 90% at about {:.2f} {} (between {:g} and {:g})", *c.at, unit,
                     *c.last_above, *c.first_below);
}

}  // namespace

Result<std::vector<RatePoint>> RunLoadSweep(const SweepOptions& o) {
  if (o.rates.empty()) return Status::Error("no rates to sweep: give --rates");
  if (o.policies.empty()) return Status::Error("no policy (or endpoint label) to sweep");
  auto say = [&](const std::string& line) {
    if (o.say) o.say(line);
  };
  std::vector<RatePoint> points;
  for (const std::string& policy : o.policies) {
    std::unique_ptr<ServerLauncher> server;
    BenchOptions bench = o.bench;
    bench.label = policy;
    if (!o.server_argv.empty()) {
      std::vector<std::string> argv = o.server_argv;
      for (std::string& a : argv) {
        if (const size_t at = a.find("{policy}"); at != std::string::npos) a.replace(at, 8, policy);
      }
      const std::string log = o.work_dir + "/serve-" + policy + ".log";
      say(fmt::format("sweep: starting the server for {} (log: {})", policy, log));
      auto started = ServerLauncher::Start(argv, log);
      if (!started.ok()) return started.status();
      server = std::move(*started);
      bench.endpoint.host = "127.0.0.1";
      bench.endpoint.port = std::to_string(server->port());
      bench.endpoint.base_path.clear();
    }
    for (double rate : o.rates) {
      BenchOptions run = bench;
      if (o.concurrency) {
        run.concurrency = static_cast<int>(rate);
      } else if (!run.workload.preset.empty()) {
        run.workload.preset_rate = rate;
      } else {
        run.workload.fixed_rate = rate;
      }
      say(fmt::format("sweep: {} at {:g} {}", policy, rate,
                      o.concurrency ? "requests in flight" : "requests/s"));
      auto result = RunBench(run);
      if (!result.ok()) return result.status().WithContext(fmt::format("{} at {:g}", policy, rate));
      points.push_back({policy, rate, result->summary});
      for (const auto& [kind, count] : result->errors) {
        say(fmt::format("sweep: {} at {:g}: {} failed: {}", policy, rate, count, kind));
      }
      if (!o.work_dir.empty()) {
        // Every point's full result, requests included, as aegaeon bench --output writes it.
        const std::string path = fmt::format("{}/{}-{:g}.json", o.work_dir, policy, rate);
        std::ofstream f(path, std::ios::binary);
        f << ResultJson(run, *result, true);
        if (!f) return Status::Error("cannot write " + path);
      }
      say(fmt::format(
          "sweep: {} at {:g}: attainment {:.1f}%, goodput {:.2f} req/s, {} completed, "
          "{} failed",
          policy, rate, 100 * result->summary.slo_attainment, result->summary.goodput_rps,
          result->summary.completed, result->summary.failed));
    }
    if (server) {
      const int status = server->Stop();
      if (status != 0) {
        say(fmt::format("sweep: the {} server exited with status {} (log: {})", policy, status,
                        server->log_path()));
      }
    }
  }
  return points;
}

constexpr const char* kRateUnit = "requests per second";
constexpr const char* kConcurrencyUnit = "requests in flight";

std::string LoadSweepJson(const SweepRecord& sweep, const std::vector<Prediction>& predictions) {
  nlohmann::json j;
  j["rate_unit"] = sweep.concurrency ? kConcurrencyUnit : kRateUnit;
  j["note"] = sweep.note;
  j["points"] = nlohmann::json::array();
  for (const RatePoint& p : sweep.points) j["points"].push_back(RatePointJson(p));
  j["below_90"] = CrossingsJson(sweep.points);
  if (!predictions.empty()) {
    j["predictions"] = nlohmann::json::array();
    for (const Prediction& set : predictions) {
      nlohmann::json points = nlohmann::json::array();
      for (const RatePoint& p : set.points) points.push_back(RatePointJson(p));
      j["predictions"].push_back({{"label", set.label},
                                  {"source", set.source},
                                  {"points", std::move(points)},
                                  {"below_90", CrossingsJson(set.points)}});
    }
  }
  return j.dump(2) + "\n";
}

Result<SweepRecord> ParseLoadSweep(const nlohmann::json& j) {
  auto points = ParseRatePoints(j);
  if (!points.ok()) return Result<SweepRecord>::Error(points.message());
  SweepRecord s;
  s.points = std::move(*points);
  if (j.contains("rate_unit") && j["rate_unit"].is_string()) {
    s.concurrency = j["rate_unit"].get<std::string>() == kConcurrencyUnit;
  }
  if (j.contains("note") && j["note"].is_string()) s.note = j["note"].get<std::string>();
  return s;
}

std::string LoadSweepCrossings(const SweepRecord& sweep) {
  std::string out;
  for (const std::string& policy : Policies(sweep.points)) {
    out += policy + ": SLO attainment " +
           CrossingText(sweep.points, policy, sweep.concurrency ? "requests in flight" : "req/s") +
           "\n";
  }
  return out;
}

std::string LoadSweepTable(const std::vector<RatePoint>& points) {
  std::string out = fmt::format("{:<20} {:>8} {:>10} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}\n",
                                "policy", "rate", "attainment", "conventional", "goodput",
                                "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "failed");
  for (const RatePoint& p : points) {
    const SloSummary& s = p.summary;
    out += fmt::format(
        "{:<20} {:>8.2f} {:>9.1f}% {:>11.1f}% {:>9.2f} {:>8.2f}s {:>8.2f}s {:>8.3f}s {:>8.3f}s "
        "{:>7}\n",
        p.policy, p.rate, 100 * s.slo_attainment, 100 * s.conventional_attainment, s.goodput_rps,
        s.ttft_s.p50, s.ttft_s.p99, s.tpot_s.p50, s.tpot_s.p99, s.failed);
  }
  return out;
}

std::string LoadSweepComparison(const std::vector<RatePoint>& measured,
                                const std::vector<RatePoint>& predicted) {
  std::string out;
  double worst = 0;
  for (const RatePoint& m : measured) {
    const auto p = std::find_if(predicted.begin(), predicted.end(), [&](const RatePoint& q) {
      return q.policy == m.policy && std::abs(q.rate - m.rate) < 1e-9;
    });
    if (p == predicted.end()) continue;
    if (out.empty()) {
      out = fmt::format("{:<20} {:>8} {:>10} {:>10} {:>7} {:>9} {:>9}\n", "policy", "rate",
                        "attainment", "predicted", "diff", "goodput", "predicted");
    }
    const double diff = 100 * (p->summary.slo_attainment - m.summary.slo_attainment);
    worst = std::max(worst, std::abs(diff));
    out +=
        fmt::format("{:<20} {:>8.2f} {:>9.1f}% {:>9.1f}% {:>+7.1f} {:>9.2f} {:>9.2f}\n", m.policy,
                    m.rate, 100 * m.summary.slo_attainment, 100 * p->summary.slo_attainment, diff,
                    m.summary.goodput_rps, p->summary.goodput_rps);
  }
  if (!out.empty()) {
    out += fmt::format(
        "the prediction's attainment is within {:.1f} percentage points of the measured one\n",
        worst);
  }
  return out;
}

std::string GoodputAtHighestRate(const std::vector<RatePoint>& points) {
  const std::vector<std::string> policies = Policies(points);
  if (policies.size() < 2) return "";
  double top = 0;
  for (const RatePoint& p : points) top = std::max(top, p.rate);
  std::vector<double> goodput;
  for (const std::string& policy : policies) {
    double g = -1;
    for (const RatePoint& p : points) {
      if (p.policy == policy && p.rate == top) g = p.summary.goodput_rps;
    }
    if (g < 0) return "";  // not every policy ran the highest rate
    goodput.push_back(g);
  }
  std::string out = fmt::format("goodput at the highest rate ({:g}):", top);
  for (size_t i = 0; i < policies.size(); ++i) {
    out += fmt::format("{} {} {:.2f} req/s", i ? "," : "", policies[i], goodput[i]);
  }
  for (size_t i = 1; i < policies.size(); ++i) {
    out += goodput[i] > 0 ? fmt::format("; {} / {} = {:.2f}x", policies[0], policies[i],
                                        goodput[0] / goodput[i])
                          : fmt::format("; {} has none", policies[i]);
  }
  return out + "\n";
}

std::string LoadSweepHtml(const SweepRecord& sweep, const std::vector<Prediction>& predictions) {
  const std::vector<RatePoint>& measured = sweep.points;
  const char* unit = sweep.concurrency ? "requests in flight" : "req/s";
  const std::string x_label = sweep.concurrency ? "requests in flight" : "rate (requests/s in all)";
  // The measured set first (solid), then each prediction (dashed), each with its suffix.
  struct Set {
    const std::vector<RatePoint>* points;
    std::string suffix;
    bool dashed;
  };
  std::vector<Set> sets = {{&measured, "", false}};
  for (const Prediction& p : predictions) sets.push_back({&p.points, " (" + p.label + ")", true});
  // One chart per metric.
  auto chart = [&](const std::string& title, const std::string& y_label,
                   const std::vector<std::pair<std::string, double (*)(const SloSummary&)>>& ys) {
    LineChartSpec spec;
    spec.title = title;
    spec.x_label = x_label;
    spec.y_label = y_label;
    for (const Set& set : sets) {
      for (const std::string& policy : Policies(*set.points)) {
        for (const auto& [label, get] : ys) {
          ChartSeries series;
          series.name = policy + (label.empty() ? "" : " " + label) + set.suffix;
          series.dashed = set.dashed;
          for (const RatePoint& p : *set.points) {
            if (p.policy == policy) series.points.emplace_back(p.rate, get(p.summary));
          }
          std::sort(series.points.begin(), series.points.end());
          spec.series.push_back(std::move(series));
        }
      }
    }
    return RenderLineChart(spec);
  };
  std::string note = sweep.note;
  for (const Prediction& p : predictions) {
    note += "; dashed (" + p.label + "): the simulator's prediction" +
            (p.source.empty() ? "" : " (" + p.source + ")");
  }
  std::string body = "<h1>aegaeon bench sweep</h1>\n<p>" + HtmlEscape(note) + "</p>\n<ul>\n";
  for (const std::string& policy : Policies(measured)) {
    body += "<li><b>" + HtmlEscape(policy) +
            "</b>: " + HtmlEscape(CrossingText(measured, policy, unit));
    for (const Prediction& p : predictions) {
      body += "; " + HtmlEscape(p.label) + ": " + HtmlEscape(CrossingText(p.points, policy, unit));
    }
    body += "</li>\n";
  }
  body += "</ul>\n<div class=\"charts\">\n";
  body += chart("SLO attainment (token-level, the Aegaeon paper's)", "attainment",
                {{"", [](const SloSummary& s) { return s.slo_attainment; }}});
  body += chart("SLO attainment (conventional: TTFT and mean TPOT met)", "attainment",
                {{"", [](const SloSummary& s) { return s.conventional_attainment; }}});
  body += chart("goodput", "requests/s meeting both SLOs",
                {{"", [](const SloSummary& s) { return s.goodput_rps; }}});
  body += chart("TTFT", "seconds",
                {{"p50", [](const SloSummary& s) { return s.ttft_s.p50; }},
                 {"p99", [](const SloSummary& s) { return s.ttft_s.p99; }}});
  body += chart("TPOT", "seconds",
                {{"p50", [](const SloSummary& s) { return s.tpot_s.p50; }},
                 {"p99", [](const SloSummary& s) { return s.tpot_s.p99; }}});
  body +=
      "</div>\n<h2>Points</h2>\n<table><tr><th>policy</th><th>rate</th><th>attainment</th>"
      "<th>conventional</th><th>goodput</th><th>TTFT p50</th><th>TTFT p99</th><th>TPOT p50"
      "</th><th>TPOT p99</th><th>completed</th><th>failed</th></tr>\n";
  for (const Set& set : sets) {
    for (const RatePoint& p : *set.points) {
      const SloSummary& s = p.summary;
      body += fmt::format(
          "<tr><td>{}{}</td><td>{:g}</td><td>{:.1f}%</td><td>{:.1f}%</td><td>{:.2f}</td>"
          "<td>{:.2f}</td><td>{:.2f}</td><td>{:.3f}</td><td>{:.3f}</td><td>{}</td><td>{}</td>"
          "</tr>\n",
          HtmlEscape(p.policy), HtmlEscape(set.suffix), p.rate, 100 * s.slo_attainment,
          100 * s.conventional_attainment, s.goodput_rps, s.ttft_s.p50, s.ttft_s.p99, s.tpot_s.p50,
          s.tpot_s.p99, s.completed, s.failed);
    }
  }
  body += "</table>\n";
  return HtmlPage("aegaeon bench sweep",
                  "body{font-family:sans-serif;max-width:1340px;margin:24px auto;color:#222}\n"
                  ".charts{display:flex;flex-wrap:wrap;gap:16px}\n"
                  "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px "
                  "8px;text-align:right}\nth{background:#f3f3f3}td:first-child{text-align:left}",
                  body);
}

}  // namespace llms::bench
