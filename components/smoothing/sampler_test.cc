// The torch-facing half of smoothing: sampling, CERTIFY/PREDICT end to end with
// classifiers whose smoothed behaviour is known in closed form.
#include "components/smoothing/sampler.h"

#include <ATen/ATen.h>

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "components/smoothing/stats_core.h"

namespace warden::smoothing {
namespace {

// f(x) = 1 iff mean(x) > t, on 1×4×4 inputs. Under noise N(0, σ²I) the mean of
// the 16 noise pixels is N(0, σ²/16), so p_A = Φ(4 |mean(x) - t| / σ) and Cohen's
// radius σ Φ⁻¹(p_A) = 4 |mean(x) - t|, which is exactly the L2 distance from x to
// the decision boundary (a uniform shift δ of all 16 pixels has norm 4δ).
std::unique_ptr<BaseClassifier> MeanThreshold(double t) {
  return WrapForward(
      [t](const at::Tensor& x) {
        const at::Tensor above = x.mean({1, 2, 3}).gt(t).to(at::kFloat);
        return at::stack({1 - above, above}, 1);
      },
      2, c10::Device(c10::kCPU));
}

TEST(SamplerTest, CertifiedRadiusMatchesTheClosedForm) {
  auto f = MeanThreshold(0.5);
  SmoothingOptions options;
  options.sigma = 0.5;
  options.n = 100000;
  options.batch_size = 5000;
  for (double mean : {0.55, 0.6, 0.7, 0.42}) {
    const at::Tensor x = at::full({1, 4, 4}, mean);
    absl::StatusOr<CertifyResult> r = CertifyInput(*f, x, options, /*input_id=*/7);
    ASSERT_TRUE(r.ok()) << r.status();
    const double exact = std::fabs(mean - 0.5) * 4;
    const double p_a = NormalCdf(exact / options.sigma);
    ASSERT_EQ(r->predicted_class, mean > 0.5 ? 1 : 0) << mean;
    const double sd = std::sqrt(p_a * (1 - p_a) / static_cast<double>(options.n));
    EXPECT_LE(r->radius_l2, exact + 1e-9) << mean;
    EXPECT_GE(r->radius_l2, options.sigma * NormalQuantile(p_a - 5 * sd)) << mean;
  }
  // On the boundary p_A = 1/2: abstain.
  absl::StatusOr<CertifyResult> boundary = CertifyInput(*f, at::full({1, 4, 4}, 0.5), options, 3);
  ASSERT_TRUE(boundary.ok());
  EXPECT_EQ(boundary->predicted_class, kAbstain);
}

// The same classifier as TorchScript (testdata/make_torchscript_model.py):
// loading it gives the same certificates as the in-process module.
TEST(SamplerTest, TorchScriptClassifierMatchesInProcessOne) {
  absl::StatusOr<std::unique_ptr<BaseClassifier>> scripted = LoadTorchScript(
      "components/smoothing/testdata/mean_threshold.pt", 2, c10::Device(c10::kCPU));
  ASSERT_TRUE(scripted.ok()) << scripted.status();
  auto native = MeanThreshold(0.5);
  SmoothingOptions options;
  options.sigma = 0.5;
  options.n = 20000;
  options.batch_size = 1000;
  const at::Tensor x = at::full({1, 4, 4}, 0.6);
  absl::StatusOr<CertifyResult> a = CertifyInput(**scripted, x, options, 9);
  absl::StatusOr<CertifyResult> b = CertifyInput(*native, x, options, 9);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->predicted_class, 1);
  EXPECT_EQ(a->radius_l2, b->radius_l2);  // same noise, same decisions
  // A file that is not TorchScript is an error, not a crash.
  EXPECT_EQ(LoadTorchScript("components/smoothing/testdata/stats_reference.tsv", 2,
                            c10::Device(c10::kCPU))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SamplerTest, SameSeedSameCountsAndStreamsAreIndependent) {
  auto f = MeanThreshold(0.5);
  SmoothingOptions options;
  options.sigma = 1.0;
  options.batch_size = 64;
  options.seed = 99;
  const at::Tensor x = at::full({1, 4, 4}, 0.52);
  auto counts = [&](uint64_t id, SamplePhase phase) {
    return *SampleCounts(*f, x, 1000, options, id, phase);
  };
  EXPECT_EQ(counts(1, SamplePhase::kEstimation), counts(1, SamplePhase::kEstimation));
  EXPECT_NE(counts(1, SamplePhase::kEstimation), counts(2, SamplePhase::kEstimation));
  EXPECT_NE(counts(1, SamplePhase::kEstimation), counts(1, SamplePhase::kSelection));
  std::vector<int64_t> c = counts(5, SamplePhase::kPrediction);
  EXPECT_EQ(c[0] + c[1], 1000);
}

TEST(SamplerTest, PredictAbstainsNearTheBoundary) {
  auto f = MeanThreshold(0.5);
  SmoothingOptions options;
  options.sigma = 0.5;
  options.n = 1000;
  options.alpha = 0.001;
  absl::StatusOr<PredictResult> far = PredictInput(*f, at::full({1, 4, 4}, 0.9), options, 1);
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(far->predicted_class, 1);
  absl::StatusOr<PredictResult> near = PredictInput(*f, at::full({1, 4, 4}, 0.5), options, 1);
  ASSERT_TRUE(near.ok());
  EXPECT_EQ(near->predicted_class, kAbstain);
}

TEST(SamplerTest, BadShapesAndModelsGiveErrors) {
  auto f = MeanThreshold(0.5);
  SmoothingOptions options;
  EXPECT_EQ(SampleCounts(*f, at::zeros({4, 4}), 10, options, 0, SamplePhase::kSelection).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.batch_size = 0;
  EXPECT_FALSE(SampleCounts(*f, at::zeros({1, 4, 4}), 10, options, 0, SamplePhase::kSelection).ok());
  // A model returning the wrong number of classes.
  auto wrong = WrapForward([](const at::Tensor& x) { return at::zeros({x.size(0), 3}); }, 2,
                           c10::Device(c10::kCPU));
  options.batch_size = 10;
  absl::StatusOr<std::vector<int64_t>> r =
      SampleCounts(*wrong, at::zeros({1, 4, 4}), 10, options, 0, SamplePhase::kSelection);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("expected [10, 2]"));
  // A model that throws (shape mismatch inside) becomes a Status.
  auto throwing = WrapForward([](const at::Tensor& x) { return at::matmul(x, at::zeros({5, 5})); },
                              2, c10::Device(c10::kCPU));
  EXPECT_FALSE(SampleCounts(*throwing, at::zeros({1, 4, 4}), 10, options, 0, SamplePhase::kSelection).ok());
  EXPECT_EQ(LoadTorchScript("/nonexistent.pt", 2, c10::Device(c10::kCPU)).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden::smoothing
