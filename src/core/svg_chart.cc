// SVG chart rendering.
#include "core/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace llms {

namespace {

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double Map(double v, double a, double b) const {
    double t;
    if (log) {
      t = (std::log10(std::max(v, 1e-300)) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    } else {
      t = (v - lo) / (hi - lo);
    }
    return a + (b - a) * std::clamp(t, -0.05, 1.05);
  }
  std::vector<double> Ticks() const {
    std::vector<double> t;
    if (log) {
      for (double p = std::floor(std::log10(lo)); p <= std::ceil(std::log10(hi)); ++p) {
        const double v = std::pow(10.0, p);
        if (v >= lo * 0.999 && v <= hi * 1.001) t.push_back(v);
      }
      return t;
    }
    const double span = hi - lo;
    const double raw = span / 5;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
      if (raw <= m * mag) {
        step = m * mag;
        break;
      }
    }
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(v);
    return t;
  }
};

std::string FormatTick(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e6 || a < 1e-3) return fmt::format("{:.0e}", v);
  if (a >= 100) return fmt::format("{:.0f}", v);
  if (a >= 1) return fmt::format("{:.3g}", v);
  return fmt::format("{:.2g}", v);
}

Axis MakeAxis(double lo, double hi, bool log) {
  Axis ax;
  ax.log = log;
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = log ? 1 : 0;
    hi = log ? 10 : 1;
  }
  if (log) {
    lo = std::max(lo, 1e-9);
    hi = std::max(hi, lo * 10);
    ax.lo = std::pow(10.0, std::floor(std::log10(lo)));
    ax.hi = std::pow(10.0, std::ceil(std::log10(hi)));
  } else {
    if (hi <= lo) hi = lo + 1;
    ax.lo = lo;
    ax.hi = hi;
  }
  return ax;
}

}  // namespace

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {
// The <svg> element's opening, accessible title and visible heading.
std::string SvgOpen(double W, double H, const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}\">\n<title>{2}</title>\n"
      "<text x=\"{3}\" y=\"20\" font-size=\"14\" font-weight=\"bold\" "
      "text-anchor=\"middle\">{2}</text>\n",
      W, H, HtmlEscape(title), W / 2);
}
}  // namespace

std::string RenderLineChart(const LineChartSpec& spec) {
  const double ml = 64, mr = 28, mt = 48, mb = 46;
  const double W = spec.width, H = spec.height;
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (const auto& s : spec.series) {
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      if (spec.log_x && x <= 0) continue;
      if (spec.log_y && y <= 0) continue;
      xlo = std::min(xlo, x);
      xhi = std::max(xhi, x);
      ylo = std::min(ylo, y);
      yhi = std::max(yhi, y);
    }
  }
  if (!spec.log_y && ylo > 0) ylo = 0;
  Axis ax = MakeAxis(xlo, xhi, spec.log_x);
  Axis ay = MakeAxis(ylo, yhi * (spec.log_y ? 1.0 : 1.05), spec.log_y);
  std::string out = SvgOpen(W, H, spec.title);
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", ml,
      mt, W - ml - mr, H - mt - mb);
  for (double t : ax.Ticks()) {
    const double x = ax.Map(t, ml, W - mr);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#eee\"/><text "
        "x=\"{0:.1f}\" y=\"{3}\" "
        "font-size=\"11\" text-anchor=\"middle\">{4}</text>\n",
        x, mt, H - mb, H - mb + 14, FormatTick(t));
  }
  for (double t : ay.Ticks()) {
    const double y = ay.Map(t, H - mb, mt);
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/><text "
        "x=\"{3}\" y=\"{4:.1f}\" "
        "font-size=\"11\" text-anchor=\"end\">{5}</text>\n",
        ml, y, W - mr, ml - 4, y + 4, FormatTick(t));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n",
                     (ml + W - mr) / 2, H - 8, HtmlEscape(spec.x_label));
  out += fmt::format(
      "<text x=\"14\" y=\"{0}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 "
      "{0})\">{1}</text>\n",
      (mt + H - mb) / 2, HtmlEscape(spec.y_label));
  double legend_x = 0;
  for (size_t si = 0; si < spec.series.size(); ++si) {
    const auto& s = spec.series[si];
    std::string d;
    double prev_y = 0;
    bool first = true;
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y) || (spec.log_x && x <= 0) ||
          (spec.log_y && y <= 0))
        continue;
      const double px = ax.Map(x, ml, W - mr), py = ay.Map(y, H - mb, mt);
      if (first) {
        d += fmt::format("M{:.1f},{:.1f}", px, py);
        first = false;
      } else {
        if (s.step)
          d += fmt::format("H{:.1f}V{:.1f}", px, py);
        else
          d += fmt::format("L{:.1f},{:.1f}", px, py);
      }
      prev_y = py;
    }
    (void)prev_y;
    const char* color = kColors[si % std::size(kColors)];
    out += fmt::format(
        "<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{}/>\n", d,
        color, s.dashed ? " stroke-dasharray=\"5,3\"" : "");
    // Legend: one row above the plot area, so it never hides the data.
    const double lx = ml + legend_x;
    const double ly = mt - 8;
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" "
        "stroke-width=\"2\"{5}/><text x=\"{4}\" "
        "y=\"{6}\" font-size=\"11\">{7}</text>\n",
        lx, ly, lx + 20, color, lx + 24, s.dashed ? " stroke-dasharray=\"5,3\"" : "", ly + 4,
        HtmlEscape(s.name));
    legend_x += 34 + 6.5 * static_cast<double>(s.name.size());
  }
  out += "</svg>\n";
  return out;
}

std::string RenderBarChart(const BarChartSpec& spec) {
  const double ml = 64, mr = 16, mt = 34, mb = 60;
  const double W = spec.width, H = spec.height;
  double yhi = 0;
  for (const auto& s : spec.values) {
    for (double v : s) yhi = std::max(yhi, v);
  }
  Axis ay = MakeAxis(0, yhi * 1.05, false);
  std::string out = SvgOpen(W, H, spec.title);
  for (double t : ay.Ticks()) {
    const double y = ay.Map(t, H - mb, mt);
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/><text "
        "x=\"{3}\" y=\"{4:.1f}\" "
        "font-size=\"11\" text-anchor=\"end\">{5}</text>\n",
        ml, y, W - mr, ml - 4, y + 4, FormatTick(t));
  }
  out += fmt::format(
      "<text x=\"14\" y=\"{0}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 "
      "{0})\">{1}</text>\n",
      (mt + H - mb) / 2, HtmlEscape(spec.y_label));
  const size_t nc = std::max<size_t>(1, spec.categories.size());
  const size_t ns = std::max<size_t>(1, spec.values.size());
  const double group = (W - ml - mr) / static_cast<double>(nc);
  const double bar = group * 0.8 / static_cast<double>(ns);
  for (size_t c = 0; c < spec.categories.size(); ++c) {
    const double gx = ml + group * static_cast<double>(c) + group * 0.1;
    for (size_t s = 0; s < spec.values.size(); ++s) {
      const double v = c < spec.values[s].size() ? spec.values[s][c] : 0.0;
      const double y = ay.Map(v, H - mb, mt);
      out += fmt::format(
          "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"{}\"/>\n",
          gx + bar * static_cast<double>(s), y, bar * 0.95, std::max(0.0, H - mb - y),
          kColors[s % std::size(kColors)]);
    }
    out += fmt::format(
        "<text x=\"{0:.1f}\" y=\"{1}\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-45 "
        "{0:.1f} {1})\">{2}</text>\n",
        gx + group * 0.4, H - mb + 12, HtmlEscape(spec.categories[c]));
  }
  for (size_t s = 0; s < spec.series_names.size(); ++s) {
    const double ly = mt + 14 + 16 * static_cast<double>(s);
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" "
        "font-size=\"11\">{}</text>\n",
        W - mr - 150, ly - 8, kColors[s % std::size(kColors)], W - mr - 134, ly + 1,
        HtmlEscape(spec.series_names[s]));
  }
  out += "</svg>\n";
  return out;
}

}  // namespace llms
