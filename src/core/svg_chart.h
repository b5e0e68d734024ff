// SvgChart: small, dependency-free SVG line and bar charts for the project's self-contained HTML
// reports (servegen report, and later aegaeon sim/bench). Linear or log axes, several named
// series with a legend, nice tick values. Output is a standalone <svg> element.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace llms {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y); drawn in the given order
  bool step = false;                              // draw as a step function (CDFs, windowed rates)
  bool dashed = false;
};

struct LineChartSpec {
  std::string title;
  std::string x_label, y_label;
  bool log_x = false, log_y = false;
  int width = 640, height = 320;
  std::vector<ChartSeries> series;
};

struct BarChartSpec {
  std::string title;
  std::string y_label;
  std::vector<std::string> categories;
  std::vector<std::string> series_names;
  std::vector<std::vector<double>> values;  // values[series][category]
  int width = 640, height = 320;
};

std::string RenderLineChart(const LineChartSpec& spec);
std::string RenderBarChart(const BarChartSpec& spec);
// Escapes text for HTML/SVG content and attributes.
std::string HtmlEscape(const std::string& s);

}  // namespace llms
