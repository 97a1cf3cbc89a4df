// Line plots as standalone SVG: curves that long-running work writes beside
// its tables (certified accuracy vs radius, loss curves, samples over time).
// Portable: C++17 standard library only.
#ifndef WARDEN_COMPONENTS_PLOT_SVG_PLOT_H_
#define WARDEN_COMPONENTS_PLOT_SVG_PLOT_H_

#include <string>
#include <vector>

namespace warden::plot {

struct Series {
  std::string label;
  std::vector<double> x;
  std::vector<double> y;  // same length as x; non-finite points are skipped
  // Draw as a step function where y[i] holds on (x[i-1], x[i]] (matplotlib's
  // "steps-pre"): right for survival curves such as certified accuracy, which
  // drops just after each certified radius.
  bool step = false;
};

struct LinePlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 720;
  int height = 440;
  // Axis ranges; when min >= max the range is taken from the data.
  double x_min = 0, x_max = 0;
  double y_min = 0, y_max = 0;
  // A logarithmic x axis (ticks at powers of ten), for curves that span
  // decades. Its range starts at x_min when that is > 0, else at the smallest
  // positive x; points left of it (zero included) are drawn at its left edge.
  bool log_x = false;
};

// An SVG document drawing `series` with axes, ticks, labels and a legend.
// Text is XML-escaped. Series of mismatched lengths are drawn up to the shorter.
std::string RenderLinePlot(const std::vector<Series>& series, const LinePlotOptions& options);

// `text` with &, <, > and " escaped, for XML/HTML text and double-quoted attributes.
std::string EscapeXml(const std::string& text);

}  // namespace warden::plot

#endif  // WARDEN_COMPONENTS_PLOT_SVG_PLOT_H_
