// Tests for the SVG charts: well-formed elements, escaping, one path per series, log axes that
// skip non-positive values instead of producing NaN coordinates.
#include "core/svg_chart.h"

#include <gtest/gtest.h>

namespace llms {
namespace {

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(SvgChartTest, LineChartHasOnePathPerSeriesAndEscapesText) {
  LineChartSpec spec;
  spec.title = "rate <per> window";
  spec.series = {{"a & b", {{0, 1}, {1, 2}}, false, false}, {"c", {{0, 2}, {1, 1}}, true, true}};
  const std::string svg = RenderLineChart(spec);
  EXPECT_EQ(Count(svg, "class=\"series\""), 2);
  EXPECT_NE(svg.find("rate &lt;per&gt; window"), std::string::npos);
  EXPECT_NE(svg.find("a &amp; b"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(Count(svg, "<svg"), 1);
  EXPECT_EQ(Count(svg, "</svg>"), 1);
}

TEST(SvgChartTest, LogAxesSkipNonPositivePoints) {
  LineChartSpec spec;
  spec.log_x = spec.log_y = true;
  spec.series = {{"s", {{0, 1}, {1, 0}, {10, 100}, {100, 1000}}, false, false}};
  const std::string svg = RenderLineChart(spec);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(SvgChartTest, BarChartDrawsEveryBar) {
  BarChartSpec spec;
  spec.categories = {"x", "y", "z"};
  spec.series_names = {"one", "two"};
  spec.values = {{1, 2, 3}, {3, 2, 1}};
  EXPECT_EQ(Count(RenderBarChart(spec), "class=\"bar\""), 6);
}

}  // namespace
}  // namespace llms
