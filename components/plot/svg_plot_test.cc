#include "components/plot/svg_plot.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

TEST(SvgPlotTest, EmptyAndDegenerateInputsStillRender) {
  EXPECT_THAT(RenderLinePlot({}, {}), HasSubstr("</svg>"));
  EXPECT_THAT(RenderLinePlot({{"flat", {1, 1}, {2, 2}}}, {}), HasSubstr("</svg>"));
}

}  // namespace
}  // namespace warden::plot
