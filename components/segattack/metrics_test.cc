#include "components/segattack/metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace warden::segattack {
namespace {

TEST(SegMetricsTest, CountsByHand) {
  // labels:      0 0 1 1 2 255      predictions: 0 1 1 1 0 2
  SegMetrics m(3);
  m.Add(torch::tensor({0, 1, 1, 1, 0, 2}).view({1, 2, 3}),
        torch::tensor({0, 0, 1, 1, 2, 255}).view({1, 2, 3}));
  EXPECT_EQ(m.labelled(), 5);
  EXPECT_DOUBLE_EQ(m.PixelAccuracy(), 3.0 / 5);
  EXPECT_DOUBLE_EQ(m.ForegroundAccuracy(), 2.0 / 3);  // labels 1, 1, 2
  const std::vector<double> iou = m.ClassIoU();
  EXPECT_DOUBLE_EQ(iou[0], 1.0 / 3);  // hit 1; label 2 + predicted 2 - 1
  EXPECT_DOUBLE_EQ(iou[1], 2.0 / 3);  // hit 2; label 2 + predicted 3 - 2
  EXPECT_DOUBLE_EQ(iou[2], 0.0);      // hit 0; label 1, predicted 0 (the 2 sat on an ignored pixel)
  EXPECT_DOUBLE_EQ(m.MeanIoU(), (1.0 / 3 + 2.0 / 3 + 0.0) / 3);
}

TEST(SegMetricsTest, AccumulatesOverImagesAndSkipsEmptyClasses) {
  SegMetrics m(4);
  m.Add(torch::tensor({0, 1}).view({1, 1, 2}), torch::tensor({0, 1}).view({1, 1, 2}));
  m.Add(torch::tensor({1, 1}).view({1, 1, 2}), torch::tensor({0, 1}).view({1, 1, 2}));
  EXPECT_DOUBLE_EQ(m.PixelAccuracy(), 3.0 / 4);
  EXPECT_TRUE(std::isnan(m.ClassIoU()[3]));                // never labelled nor predicted
  EXPECT_DOUBLE_EQ(m.MeanIoU(), (1.0 / 2 + 2.0 / 3) / 2);  // classes 2, 3 absent
}

TEST(SegMetricsTest, OutOfRangePredictionIsWrong) {
  SegMetrics m(2);
  m.Add(torch::tensor({7, -1}).view({1, 1, 2}), torch::tensor({0, 1}).view({1, 1, 2}));
  EXPECT_DOUBLE_EQ(m.PixelAccuracy(), 0.0);
  EXPECT_DOUBLE_EQ(m.MeanIoU(), 0.0);
}

}  // namespace
}  // namespace warden::segattack
