// Pixel-wise smoothing on a synthetic segmenter with known per-pixel
// probabilities: pixel i is labelled 1 iff x_i + ε_i > 1/2, so
// p_i = Φ(|x_i - 1/2| / σ) and the exact per-pixel radius is |x_i - 1/2|.
#include "components/smoothing/segmentation.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "components/smoothing/stats_core.h"

namespace warden::smoothing {
namespace {

std::unique_ptr<Segmenter> PixelThreshold() {
  return WrapSegmenter(
      [](const at::Tensor& x) {
        const at::Tensor above = x.gt(0.5).to(at::kFloat) * 20 - 10;  // ±10 logits
        return at::cat({-above, above}, 1);                           // N × 2 × H × W
      },
      2, c10::Device(c10::kCPU));
}

// A 1 × 2 × 4 image: far-from-boundary pixels both ways, near ones, and ties.
at::Tensor Image() {
  return at::tensor({0.95, 0.05, 0.9, 0.1, 0.55, 0.45, 0.5, 0.5}, at::kFloat).view({1, 2, 4});
}

TEST(SegmentationTest, CertifiesFarPixelsAndAbstainsOnTies) {
  auto f = PixelThreshold();
  PixelSmoothingOptions options;
  options.sigma = 0.25;
  options.n = 2000;
  options.tau = 0.75;
  absl::StatusOr<PixelCertificate> cert = CertifySegmentation(*f, Image(), options, 1);
  ASSERT_TRUE(cert.ok()) << cert.status();
  const std::vector<int> want_labels = {1, 0, 1, 0, kAbstain, kAbstain, kAbstain, kAbstain};
  EXPECT_EQ(cert->labels, want_labels);
  EXPECT_EQ(cert->num_certified, 4);
  const at::Tensor x = Image().flatten();
  for (int i = 0; i < 4; ++i) {
    const double exact = std::fabs(x[i].item<double>() - 0.5);
    EXPECT_LE(cert->radii[i], exact + 1e-9) << i;
    EXPECT_GE(cert->radii[i], 0.25 * NormalQuantile(0.75)) << i;
  }
}

TEST(SegmentationTest, RadiusEstimateTracksTheClosedForm) {
  auto f = PixelThreshold();
  absl::StatusOr<at::Tensor> radii = EstimatePixelRadii(*f, Image(), 4000, 0.25, 5, 2);
  ASSERT_TRUE(radii.ok()) << radii.status();
  EXPECT_EQ(radii->sizes().vec(), (std::vector<int64_t>{2, 4}));
  const at::Tensor x = Image().flatten().to(at::kDouble);
  const at::Tensor r = radii->flatten();
  for (int i = 0; i < 6; ++i) {  // pixels with p_A well away from 1
    const double exact = std::fabs(x[i].item<double>() - 0.5);
    EXPECT_NEAR(r[i].item<double>(), exact, 0.03) << i;
  }
  // Ties sit at p ≈ 1/2: radius ≈ 0.
  EXPECT_NEAR(r[6].item<double>(), 0.0, 0.03);
}

TEST(SegmentationTest, BadInputsGiveErrors) {
  auto f = PixelThreshold();
  PixelSmoothingOptions options;
  EXPECT_FALSE(CertifySegmentation(*f, at::zeros({2, 4}), options, 0).ok());
  options.tau = 0.3;
  EXPECT_FALSE(CertifySegmentation(*f, Image(), options, 0).ok());
  auto wrong = WrapSegmenter(
      [](const at::Tensor& x) {
        return at::zeros({x.size(0), 3, 1, 1});
      },
      3, c10::Device(c10::kCPU));
  EXPECT_FALSE(EstimatePixelRadii(*wrong, Image(), 10, 0.25, 0, 0).ok());
}

// A segmenter whose softmax is known: logits (0, t) with t = 8 (x − 1/2), so
// the top probability is sigmoid(|t|).
std::unique_ptr<Segmenter> SoftThreshold() {
  return WrapSegmenter(
      [](const at::Tensor& x) {
        return at::cat({at::zeros_like(x), (x - 0.5) * 8}, 1);
      },
      2, c10::Device(c10::kCPU));
}

TEST(SegmentationTest, SoftRadiusWithoutNoiseIsTheClampedQuantileOfTheTopSoftmax) {
  auto f = SoftThreshold();
  const at::Tensor batch = at::stack({Image(), 1 - Image()});  // 2 × 1 × 2 × 4
  absl::StatusOr<at::Tensor> cr = SoftPixelRadii(*f, batch, 1, 0.0, 0, 0);
  ASSERT_TRUE(cr.ok()) << cr.status();
  ASSERT_EQ(cr->sizes().vec(), (std::vector<int64_t>{2, 2, 4}));
  const at::Tensor x = batch.flatten().to(at::kDouble);
  const at::Tensor got = cr->flatten().to(at::kDouble);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double t = 8 * (x[i].item<double>() - 0.5);
    const double top = std::min(1 / (1 + std::exp(-std::fabs(t))), 0.999998);
    EXPECT_NEAR(got[i].item<double>(), std::max(0.0, NormalQuantile(top)), 2e-4) << i;
  }
  // A tie (p = 1/2) has radius 0, never negative; the clamp bounds it by Φ⁻¹(0.999998).
  EXPECT_EQ(got[6].item<double>(), 0.0);
  EXPECT_LE(got.max().item<double>(), NormalQuantile(0.999998) + 1e-4);
}

TEST(SegmentationTest, SoftRadiusAveragesProbabilitiesOverNoisyCopies) {
  auto f = SoftThreshold();
  const at::Tensor batch = at::full({1, 1, 1, 1}, 0.5f);
  // At the boundary with σ = 0.1 the copies split both ways; the mean softmax
  // stays near 1/2 while a single copy's top probability is far above it.
  absl::StatusOr<at::Tensor> many = SoftPixelRadii(*f, batch, 2000, 0.1, 3, 0);
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_LT(many->item<double>(), 0.05);
  absl::StatusOr<at::Tensor> again = SoftPixelRadii(*f, batch, 2000, 0.1, 3, 0);
  EXPECT_TRUE(at::equal(*many, *again));
  EXPECT_FALSE(SoftPixelRadii(*f, Image(), 8, 0.1, 0, 0).ok());  // not a batch
  EXPECT_FALSE(SoftPixelRadii(*f, batch, 0, 0.1, 0, 0).ok());
}

}  // namespace
}  // namespace warden::smoothing
