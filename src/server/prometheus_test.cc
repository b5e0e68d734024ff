// The Prometheus text format: families, escaped labels, cumulative histogram buckets.
#include "server/prometheus.h"

#include <gtest/gtest.h>

namespace llms::server {
namespace {

TEST(PrometheusTest, WritesFamiliesAndEscapedLabels) {
  PromWriter w;
  w.Family("x_total", "counter", "Things.");
  w.Sample("x_total", {{"model", "a\"b\\c"}}, 3);
  w.Sample("x_total", {}, 0.5);
  EXPECT_EQ(w.text(),
            "# HELP x_total Things.\n# TYPE x_total counter\n"
            "x_total{model=\"a\\\"b\\\\c\"} 3\nx_total 0.5\n");
}

TEST(PrometheusTest, HistogramBucketsAreCumulative) {
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // le is inclusive
  h.Observe(0.5);
  h.Observe(7);
  PromWriter w;
  h.Write(&w, "lat", {{"k", "v"}});
  EXPECT_EQ(w.text(),
            "lat_bucket{k=\"v\",le=\"0.1\"} 2\nlat_bucket{k=\"v\",le=\"1\"} 3\n"
            "lat_bucket{k=\"v\",le=\"+Inf\"} 4\nlat_sum{k=\"v\"} 7.65\nlat_count{k=\"v\"} 4\n");
}

}  // namespace
}  // namespace llms::server
