#include "components/plot/svg_plot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace warden::plot {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SvgPlotTest, DrawsSeriesAxesAndEscapedText) {
  Series a{"acc <sigma=0.25>", {0, 0.5, 1.0}, {0.99, 0.9, 0.5}, true};
  Series b{"b & c", {0, 1}, {0.2, NAN}};
  LinePlotOptions options;
  options.title = "certified accuracy";
  options.x_label = "radius";
  options.y_min = 0;
  options.y_max = 1;
  const std::string svg = RenderLinePlot({a, b}, options);
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("acc &lt;sigma=0.25&gt;"));
  EXPECT_THAT(svg, HasSubstr("b &amp; c"));
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 10, true);
  // Two polylines, the step one with 2n - 1 = 5 points.
  const size_t first = svg.find("<polyline");
  ASSERT_NE(first, std::string::npos);
  const std::string points = svg.substr(first, svg.find("/>", first) - first);
  EXPECT_EQ(std::count(points.begin(), points.end(), ','), 5);
  EXPECT_NE(svg.find("<polyline", first + 1), std::string::npos);
  EXPECT_THAT(svg, HasSubstr(">0.4<"));  // a tick label (steps of 0.2 on [0, 1])
}

TEST(SvgPlotTest, LogXPlacesDecadesEvenlyAndZeroAtTheLeftEdge) {
  LinePlotOptions options;
  options.log_x = true;
  options.x_min = 1e-4;
  options.x_max = 1;
  options.width = 400;  // widened to the minimum 430: a 200 px plot area from x = 70
  const std::string svg = RenderLinePlot({{"r", {0, 1e-2, 1}, {1, 0.5, 0}}}, options);
  for (const char* tick : {">0.0001<", ">0.001<", ">0.01<", ">0.1<", ">1<"})
    EXPECT_THAT(svg, HasSubstr(tick));
  // 0 clamps to the left edge, 1e-2 sits halfway, 1 at the right edge.
  EXPECT_THAT(svg, HasSubstr("points=\"70,40 170,212.5 270,385 \""));
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));
  // Without x_min the range starts at the smallest positive x.
  options.x_min = 0;
  EXPECT_THAT(RenderLinePlot({{"r", {0, 1e-3, 1e-1}, {1, 0.5, 0}}}, options), HasSubstr(">0.001<"));
}

TEST(SvgPlotTest, EmptyAndDegenerateInputsStillRender) {
  EXPECT_THAT(RenderLinePlot({}, {}), HasSubstr("</svg>"));
  EXPECT_THAT(RenderLinePlot({{"flat", {1, 1}, {2, 2}}}, {}), HasSubstr("</svg>"));
}

}  // namespace
}  // namespace warden::plot
