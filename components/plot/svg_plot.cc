#include "components/plot/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace warden::plot {
namespace {

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string Num(double v) {
  char buf[32];
  // Whole numbers print in full (60000, not 6e+04); others with 4 significant digits.
  if (std::fabs(v) >= 1e4 && std::fabs(v) < 1e15 && v == std::floor(v)) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.4g", v);
  }
  return buf;
}

// About five "nice" tick values covering [lo, hi].
std::vector<double> Ticks(double lo, double hi) {
  const double span = hi - lo;
  const double raw = span / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= m * magnitude) {
      step = m * magnitude;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) {
    ticks.push_back(std::fabs(t) < 1e-12 * span ? 0.0 : t);
  }
  return ticks;
}

// Powers of ten in [lo, hi] (both > 0), or lo and hi when there are fewer than two.
std::vector<double> DecadeTicks(double lo, double hi) {
  std::vector<double> ticks;
  for (double e = std::ceil(std::log10(lo) - 1e-9); e <= std::log10(hi) + 1e-9; e += 1) {
    ticks.push_back(std::pow(10.0, e));
  }
  if (ticks.size() < 2) ticks = {lo, hi};
  return ticks;
}

double SmallestPositiveX(const std::vector<Series>& series) {
  double lo = std::numeric_limits<double>::infinity();
  for (const Series& s : series) {
    for (double x : s.x) {
      if (std::isfinite(x) && x > 0) lo = std::min(lo, x);
    }
  }
  return std::isfinite(lo) ? lo : 1;
}

void DataRange(const std::vector<Series>& series, bool use_x, double* lo, double* hi) {
  *lo = std::numeric_limits<double>::infinity();
  *hi = -std::numeric_limits<double>::infinity();
  for (const Series& s : series) {
    const size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < n; ++i) {
      const double v = use_x ? s.x[i] : s.y[i];
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        *lo = std::min(*lo, v);
        *hi = std::max(*hi, v);
      }
    }
  }
  if (!std::isfinite(*lo)) *lo = 0, *hi = 1;
  if (*hi <= *lo) *hi = *lo + 1;
}

}  // namespace

std::string RenderLinePlot(const std::vector<Series>& series, const LinePlotOptions& options) {
  double x_lo = options.x_min, x_hi = options.x_max, y_lo = options.y_min, y_hi = options.y_max;
  if (x_lo >= x_hi) DataRange(series, true, &x_lo, &x_hi);
  if (y_lo >= y_hi) DataRange(series, false, &y_lo, &y_hi);
  if (options.log_x) {
    if (!(x_lo > 0)) x_lo = options.x_min > 0 ? options.x_min : SmallestPositiveX(series);
    if (!(x_hi > x_lo)) x_hi = x_lo * 10;
  }
  size_t longest_label = 0;
  for (const Series& line : series) longest_label = std::max(longest_label, line.label.size());
  const double left = 70, top = 40, bottom = 55;
  const double right = std::max(160.0, 7.0 * static_cast<double>(longest_label) + 50);
  const double width = std::max<double>(options.width, left + right + 200);
  const double w = width - left - right, h = options.height - top - bottom;
  auto px = [&](double x) {
    return options.log_x ? left + std::log10(x / x_lo) / std::log10(x_hi / x_lo) * w
                         : left + (x - x_lo) / (x_hi - x_lo) * w;
  };
  auto py = [&](double y) { return top + h - (y - y_lo) / (y_hi - y_lo) * h; };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << options.height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
      << EscapeXml(options.title) << "</text>\n";
  for (double t : options.log_x ? DecadeTicks(x_lo, x_hi) : Ticks(x_lo, x_hi)) {
    svg << "<line x1=\"" << px(t) << "\" y1=\"" << top << "\" x2=\"" << px(t) << "\" y2=\"" << top + h
        << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << px(t) << "\" y=\"" << top + h + 16
        << "\" text-anchor=\"middle\">" << Num(t) << "</text>\n";
  }
  for (double t : Ticks(y_lo, y_hi)) {
    svg << "<line x1=\"" << left << "\" y1=\"" << py(t) << "\" x2=\"" << left + w << "\" y2=\"" << py(t)
        << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << left - 6 << "\" y=\"" << py(t) + 4
        << "\" text-anchor=\"end\">" << Num(t) << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << w << "\" height=\"" << h
      << "\" fill=\"none\" stroke=\"black\"/>\n"
      << "<text x=\"" << left + w / 2 << "\" y=\"" << options.height - 12 << "\" text-anchor=\"middle\">"
      << EscapeXml(options.x_label) << "</text>\n"
      << "<text transform=\"translate(18," << top + h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << EscapeXml(options.y_label) << "</text>\n";
  for (size_t s = 0; s < series.size(); ++s) {
    const Series& line = series[s];
    const char* color = kColors[s % (sizeof(kColors) / sizeof(kColors[0]))];
    std::ostringstream points;
    const size_t n = std::min(line.x.size(), line.y.size());
    bool first = true;
    double prev_x = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(line.x[i]) || !std::isfinite(line.y[i])) continue;
      const double x = std::clamp(line.x[i], x_lo, x_hi), y = std::clamp(line.y[i], y_lo, y_hi);
      if (line.step && !first) points << px(prev_x) << "," << py(y) << " ";
      points << px(x) << "," << py(y) << " ";
      prev_x = x;
      first = false;
    }
    svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"" << points.str()
        << "\"/>\n";
    const double ly = top + 14 + 18 * static_cast<double>(s);
    svg << "<line x1=\"" << left + w + 10 << "\" y1=\"" << ly << "\" x2=\"" << left + w + 30 << "\" y2=\""
        << ly << "\" stroke=\"" << color << "\" stroke-width=\"2\"/>\n<text x=\"" << left + w + 35
        << "\" y=\"" << ly + 4 << "\">" << EscapeXml(line.label) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string EscapeXml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
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

}  // namespace warden::plot
