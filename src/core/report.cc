// Report pieces shared by the tools' JSON and HTML reports.
#include "core/report.h"

#include <algorithm>

#include "core/svg_chart.h"

namespace llms {

std::vector<std::pair<double, double>> SampleCdf(std::vector<double> v, size_t max_points) {
  std::sort(v.begin(), v.end());
  std::vector<std::pair<double, double>> out;
  const size_t step = std::max<size_t>(1, v.size() / std::max<size_t>(1, max_points));
  for (size_t i = 0; i < v.size(); i += step) {
    out.emplace_back(v[i], static_cast<double>(i + 1) / static_cast<double>(v.size()));
  }
  if (!v.empty()) out.emplace_back(v.back(), 1.0);
  return out;
}

nlohmann::json PercentilesJson(const Percentiles& p) {
  return {{"mean", p.mean}, {"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"max", p.max}};
}

nlohmann::json SloSummaryJson(const SloSummary& s) {
  return {{"completed", s.completed},
          {"failed", s.failed},
          {"ttft_s", PercentilesJson(s.ttft_s)},
          {"tpot_s", PercentilesJson(s.tpot_s)},
          {"tbt_s", PercentilesJson(s.tbt_s)},
          {"e2e_s", PercentilesJson(s.e2e_s)},
          {"slo_attainment", s.slo_attainment},
          {"conventional_attainment", s.conventional_attainment},
          {"goodput_rps", s.goodput_rps},
          {"output_tokens_per_s", s.output_tokens_per_s}};
}

std::string HtmlPage(std::string_view title, std::string_view css, std::string_view body) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  out += HtmlEscape(std::string(title));
  out += "</title>\n<style>\n";
  out += css;
  out += "\n</style></head><body>\n";
  out += body;
  out += "</body></html>\n";
  return out;
}

}  // namespace llms
