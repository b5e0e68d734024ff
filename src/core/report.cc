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

nlohmann::json RatePointJson(const RatePoint& p) {
  const SloSummary& s = p.summary;
  return {{"policy", p.policy},
          {"rate", p.rate},
          {"slo_attainment", s.slo_attainment},
          {"conventional_attainment", s.conventional_attainment},
          {"goodput_rps", s.goodput_rps},
          {"ttft_p50_s", s.ttft_s.p50},
          {"ttft_p99_s", s.ttft_s.p99},
          {"tpot_p50_s", s.tpot_s.p50},
          {"tpot_p99_s", s.tpot_s.p99},
          {"completed", s.completed},
          {"failed", s.failed}};
}

Result<std::vector<RatePoint>> ParseRatePoints(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("points") || !j["points"].is_array()) {
    return Status::Error(StatusCode::kInvalidArgument, "expected {\"points\": [...]}");
  }
  std::vector<RatePoint> out;
  for (const nlohmann::json& e : j["points"]) {
    RatePoint p;
    try {
      p.policy = e.at("policy").get<std::string>();
      p.rate = e.at("rate").get<double>();
      SloSummary& s = p.summary;
      s.slo_attainment = e.at("slo_attainment").get<double>();
      s.conventional_attainment = e.at("conventional_attainment").get<double>();
      s.goodput_rps = e.at("goodput_rps").get<double>();
      s.ttft_s.p50 = e.at("ttft_p50_s").get<double>();
      s.ttft_s.p99 = e.at("ttft_p99_s").get<double>();
      s.tpot_s.p50 = e.at("tpot_p50_s").get<double>();
      s.tpot_s.p99 = e.at("tpot_p99_s").get<double>();
      s.completed = e.at("completed").get<int64_t>();
      s.failed = e.at("failed").get<int64_t>();
    } catch (const nlohmann::json::exception& ex) {
      return Status::Error(StatusCode::kInvalidArgument, std::string("a point: ") + ex.what());
    }
    out.push_back(std::move(p));
  }
  return out;
}

Crossing AttainmentCrossing(const std::vector<RatePoint>& points, const std::string& policy,
                            double threshold) {
  std::vector<std::pair<double, double>> curve;
  for (const RatePoint& p : points) {
    if (p.policy == policy) curve.emplace_back(p.rate, p.summary.slo_attainment);
  }
  std::sort(curve.begin(), curve.end());
  Crossing c;
  for (size_t i = 0; i < curve.size(); ++i) {
    if (curve[i].second >= threshold) {
      c.last_above = curve[i].first;
      continue;
    }
    c.first_below = curve[i].first;
    if (i > 0) {
      const auto [r0, a0] = curve[i - 1];
      const auto [r1, a1] = curve[i];
      c.at = a0 == a1 ? r0 : r0 + (a0 - threshold) * (r1 - r0) / (a0 - a1);
    }
    break;
  }
  return c;
}

}  // namespace llms
