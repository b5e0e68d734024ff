// Fidelity report HTML page.
#include "servegen/fidelity_html.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/report.h"
#include "core/svg_chart.h"

namespace llms::servegen {

namespace {

std::string Pct(double v) {
  return fmt::format("{:.2f}%", v * 100);
}

}  // namespace

constexpr std::string_view kCss =
    "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;"
    "max-width:1340px}\n"
    "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid "
    "#ddd;padding-bottom:4px}\n"
    "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px "
    "8px;text-align:right}\n"
    "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}.note{color:#555;font-size:13px}";

std::string RenderFidelityHtml(const FidelityReport& r) {
  const std::string ref_name =
      r.reference_kind == "model" ? "model (expected)" : "reference workload";
  std::string html = "<h1>servegen fidelity report</h1>\n";
  html += fmt::format(
      "<p>Workload <b>{}</b> compared with the {} <b>{}</b>, span {:.0f} s from {:.0f} s, windows "
      "of {:.0f} s.</p>\n",
      HtmlEscape(r.workload_source), HtmlEscape(ref_name), HtmlEscape(r.reference_source),
      r.duration, r.start, r.window);
  html +=
      "<h2>Summary</h2>\n<table "
      "id=\"summary\"><tr><th>measure</th><th>workload</th><th>reference</th><th>difference</th></"
      "tr>\n";
  html += fmt::format("<tr><td>requests</td><td>{}</td><td>{:.0f}</td><td>{}</td></tr>\n",
                      r.requests, r.ref_requests, Pct(r.total_error));
  html += fmt::format(
      "<tr><td>per-window rate error (mean / max)</td><td colspan=2></td><td>{} / {}</td></tr>\n",
      Pct(r.rate_mape), Pct(r.rate_max_error));
  html += fmt::format(
      "<tr><td>inter-arrival CV (aggregate)</td><td>{:.3f}</td><td>{:.3f}</td><td></td></tr>\n",
      r.interarrival_cv, r.ref_interarrival_cv);
  for (size_t i = 0; i < r.cv_timescales.size() && i < r.cv_by_timescale.size(); ++i) {
    html += fmt::format(
        "<tr><td>inter-arrival CV within {:g} s "
        "bins</td><td>{:.3f}</td><td>{:.3f}</td><td></td></tr>\n",
        r.cv_timescales[i], r.cv_by_timescale[i],
        i < r.ref_cv_by_timescale.size() ? r.ref_cv_by_timescale[i] : 0.0);
  }
  for (size_t i = 0; i < r.timescales.size() && i < r.idc.size(); ++i) {
    html += fmt::format(
        "<tr><td>index of dispersion at {:g} s</td><td>{:.3f}</td><td>{:.3f}</td><td></td></tr>\n",
        r.timescales[i], r.idc[i], i < r.ref_idc.size() ? r.ref_idc[i] : 0.0);
  }
  html += fmt::format(
      "<tr><td>client shares (total variation distance)</td><td "
      "colspan=2></td><td>{:.4f}</td></tr>\n",
      r.share_distance);
  // Every KS value with the sample sizes behind it: the aggregate over all requests, the
  // request-weighted mean over clients, and the largest among clients big enough to mean much.
  for (int which = 0; which < 2; ++which) {
    const bool in = which == 0;
    const double agg =
        in ? KsDistance(r.input_cdf, r.ref_input_cdf) : KsDistance(r.output_cdf, r.ref_output_cdf);
    const std::string max_text =
        (in ? r.ks_input_max_n : r.ks_output_max_n) > 0
            ? fmt::format("{:.4f} (client {}, n = {})", in ? r.ks_input_max : r.ks_output_max,
                          HtmlEscape(in ? r.ks_input_max_client : r.ks_output_max_client),
                          in ? r.ks_input_max_n : r.ks_output_max_n)
            : std::string("no client has enough requests");
    html += fmt::format(
        "<tr><td>KS {} length</td><td colspan=2>aggregate (n = {}): {:.4f}<br>per client, "
        "request-weighted ({} clients, n = {}): {:.4f}<br>max over clients with n &ge; {}: {}"
        "</td><td></td></tr>\n",
        in ? "input" : "output", r.requests, agg, r.ks_clients, r.ks_weighted_n,
        in ? r.ks_input_weighted : r.ks_output_weighted, r.ks_min_requests, max_text);
  }
  html += "</table>\n";
  if (r.ks_small_clients > 0) {
    html += fmt::format(
        "<p class=\"note\">{} client(s) with fewer than {} requests are left out of the KS max: "
        "with so few requests a KS distance near 1 comes by chance (the 95% critical value at n "
        "= {} is {:.2f}). Their values are in the client table.</p>\n",
        r.ks_small_clients, r.ks_min_requests, r.ks_min_requests,
        1.36 / std::sqrt(static_cast<double>(r.ks_min_requests)));
  }
  for (const auto& n : r.notes) html += "<p class=\"note\">" + HtmlEscape(n) + "</p>\n";

  if (r.profile) html += WorkloadProfileHtml(*r.profile);
  html += "<h2>Rate and lengths</h2>\n<div class=\"charts\">\n";
  LineChartSpec rate;
  rate.title = "Arrival rate per window";
  rate.x_label = "time since start (s)";
  rate.y_label = "requests / s";
  ChartSeries wr{"workload", {}, true, false}, rr{ref_name, {}, true, true};
  for (size_t k = 0; k < r.window_rate.size(); ++k) {
    wr.points.emplace_back(static_cast<double>(k) * r.window, r.window_rate[k]);
    if (k < r.ref_window_rate.size())
      rr.points.emplace_back(static_cast<double>(k) * r.window, r.ref_window_rate[k]);
  }
  if (!r.window_rate.empty()) {
    wr.points.emplace_back(static_cast<double>(r.window_rate.size()) * r.window,
                           r.window_rate.back());
    rr.points.emplace_back(static_cast<double>(r.ref_window_rate.size()) * r.window,
                           r.ref_window_rate.empty() ? 0.0 : r.ref_window_rate.back());
  }
  rate.series = {wr, rr};
  html += RenderLineChart(rate);
  for (int which = 0; which < 2; ++which) {
    LineChartSpec cdf;
    cdf.title = which == 0 ? "Input length CDF" : "Output length CDF";
    cdf.x_label = "tokens (log scale)";
    cdf.y_label = "fraction of requests";
    cdf.log_x = true;
    const DiscreteCdf& a = which == 0 ? r.input_cdf : r.output_cdf;
    const DiscreteCdf& b = which == 0 ? r.ref_input_cdf : r.ref_output_cdf;
    cdf.series = {{"workload", a.Points(400), true, false}, {ref_name, b.Points(400), true, true}};
    html += RenderLineChart(cdf);
  }
  LineChartSpec idc;
  idc.title = "Burstiness: index of dispersion of counts";
  idc.x_label = "timescale (s, log)";
  idc.y_label = "variance / mean (log)";
  idc.log_x = idc.log_y = true;
  ChartSeries wi{"workload", {}, false, false}, ri{ref_name, {}, false, true},
      poisson{"Poisson (= 1)", {}, false, true};
  for (size_t i = 0; i < r.timescales.size(); ++i) {
    if (i < r.idc.size()) wi.points.emplace_back(r.timescales[i], std::max(r.idc[i], 1e-3));
    if (i < r.ref_idc.size()) ri.points.emplace_back(r.timescales[i], std::max(r.ref_idc[i], 1e-3));
    poisson.points.emplace_back(r.timescales[i], 1.0);
  }
  idc.series = {wi, ri, poisson};
  html += RenderLineChart(idc);
  html += "</div>\n<h2>Clients</h2>\n<div class=\"charts\">\n";
  BarChartSpec shares;
  shares.title = "Client shares (top 20)";
  shares.y_label = "share of requests";
  shares.series_names = {"workload", ref_name};
  shares.values.resize(2);
  shares.width = 900;
  std::vector<ClientComparison> top = r.clients;
  std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.ref_share + a.share > b.ref_share + b.share;
  });
  for (size_t i = 0; i < top.size() && i < 20; ++i) {
    shares.categories.push_back(top[i].id);
    shares.values[0].push_back(top[i].share);
    shares.values[1].push_back(top[i].ref_share);
  }
  html += RenderBarChart(shares);
  html +=
      "</div>\n<table "
      "id=\"clients\"><tr><th>client</th><th>requests</th><th>share</th><th>reference share</th>"
      "<th>inter-arrival CV</th><th>reference CV</th><th>KS input (n)</th><th>KS output (n)</th>"
      "</tr>\n";
  for (const auto& c : top) {
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td><td>{:.4f} "
        "({})</td><td>{:.4f} ({})</td></tr>\n",
        HtmlEscape(c.id), c.requests, Pct(c.share), Pct(c.ref_share), c.cv, c.ref_cv, c.ks_input,
        c.requests, c.ks_output, c.requests);
  }
  html +=
      "</table>\n<p class=\"note\">Generated by servegen report. KS: Kolmogorov-Smirnov distance "
      "between the "
      "workload's lengths and the reference's. Index of dispersion: variance over mean of request "
      "counts in bins "
      "of the given timescale (1 for a Poisson process).</p>\n";
  return HtmlPage("servegen fidelity report", kCss, html);
}

}  // namespace llms::servegen
