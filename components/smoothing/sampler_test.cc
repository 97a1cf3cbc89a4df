// The torch-facing half of smoothing: sampling, CERTIFY/PREDICT end to end with
// classifiers whose smoothed behaviour is known in closed form.
#include "components/smoothing/sampler.h"

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "components/smoothing/stats_core.h"
#include "components/tensor/random.h"
#include "components/tensor/seed.h"

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
  absl::StatusOr<std::unique_ptr<BaseClassifier>> scripted =
      LoadTorchScript("components/smoothing/testdata/mean_threshold.pt", 2, c10::Device(c10::kCPU));
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
  EXPECT_EQ(LoadTorchScript("components/smoothing/testdata/stats_reference.tsv", 2, c10::Device(c10::kCPU))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// On CPU a large batch is forwarded in slices (kCpuForwardRows in
// sampler.cc); the noise is still the whole batch's stream, so the counts are
// exactly those of one forward over the batch's noise drawn here.
TEST(SamplerTest, CpuSlicesKeepTheBatchsNoise) {
  std::vector<int64_t> rows_seen;
  auto f = WrapForward(
      [&rows_seen](const at::Tensor& x) {
        rows_seen.push_back(x.size(0));
        const at::Tensor above = x.mean({1, 2, 3}).gt(0.5).to(at::kFloat);
        return at::stack({1 - above, above}, 1);
      },
      2, c10::Device(c10::kCPU));
  SmoothingOptions options;
  options.sigma = 0.5;
  options.batch_size = 1000;
  options.seed = 7;
  const at::Tensor x = at::full({1, 4, 4}, 0.55);
  absl::StatusOr<std::vector<int64_t>> counts =
      SampleCounts(*f, x, 1500, options, 3, SamplePhase::kEstimation);
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_GT(rows_seen.size(), 2u);  // sliced, not one forward per batch
  for (int64_t rows : rows_seen) EXPECT_LE(rows, 256);

  int64_t above = 0;
  for (uint64_t batch = 0; batch < 2; ++batch) {
    const int64_t size = batch == 0 ? 1000 : 500;
    const uint64_t stream = (static_cast<uint64_t>(SamplePhase::kEstimation) << 40) | batch;
    absl::StatusOr<at::Tensor> noisy = tensor::AddGaussianNoise(
        x.unsqueeze(0).expand({size, 1, 4, 4}), options.sigma, tensor::StreamSeed(options.seed, 3), stream);
    ASSERT_TRUE(noisy.ok());
    above += noisy->mean({1, 2, 3}).gt(0.5).sum().item<int64_t>();
  }
  EXPECT_EQ((*counts)[1], above);
  EXPECT_EQ((*counts)[0] + (*counts)[1], 1500);
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

TEST(SamplerTest, RangesAddUpToTheWholeSequence) {
  auto f = MeanThreshold(0.5);
  SmoothingOptions options;
  options.sigma = 1.0;
  options.batch_size = 100;
  const at::Tensor x = at::full({1, 4, 4}, 0.55);
  const std::vector<int64_t> whole = *SampleCounts(*f, x, 950, options, 3, SamplePhase::kEstimation);
  const std::vector<int64_t> a = *SampleCountsRange(*f, x, 0, 300, options, 3, SamplePhase::kEstimation);
  const std::vector<int64_t> b = *SampleCountsRange(*f, x, 300, 950, options, 3, SamplePhase::kEstimation);
  EXPECT_EQ(whole[0], a[0] + b[0]);
  EXPECT_EQ(whole[1], a[1] + b[1]);
  // A range must start on a batch boundary.
  EXPECT_EQ(SampleCountsRange(*f, x, 50, 950, options, 3, SamplePhase::kEstimation).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// With one checkpoint (first == n) the sequential procedures are CERTIFY.
TEST(SamplerTest, SequentialWithOneCheckpointIsCertify) {
  auto f = MeanThreshold(0.5);
  SmoothingOptions options;
  options.sigma = 0.5;
  options.n = 5000;
  options.batch_size = 1000;
  SequentialOptions sequential;
  sequential.first = options.n;
  for (double mean : {0.56, 0.62, 0.45, 0.5}) {
    const at::Tensor x = at::full({1, 4, 4}, mean);
    const CertifyResult fixed = *CertifyInput(*f, x, options, 11);
    const SequentialResult adaptive = *CertifySequential(*f, x, options, sequential, 11);
    EXPECT_EQ(adaptive.predicted_class, fixed.predicted_class) << mean;
    EXPECT_EQ(adaptive.radius, fixed.radius_l2) << mean;
    EXPECT_EQ(adaptive.samples, 5000);
  }
  sequential.first = 0;
  EXPECT_FALSE(CertifySequential(*f, at::full({1, 4, 4}, 0.6), options, sequential, 1).ok());
  sequential.first = 1000;
  sequential.mode = SequentialOptions::Mode::kRadius;
  sequential.radius = -1;
  EXPECT_FALSE(CertifySequential(*f, at::full({1, 4, 4}, 0.6), options, sequential, 1).ok());
}

// Soundness of the sequential decisions through the real sampler, on the
// linear rule whose p_A is known (MeanThreshold: R = 4 |mean - t|). At a radius
// just outside R the "certified" answer is an error; just inside, a decided
// "not certified" is. Each must happen in at most alpha of 2,000 repetitions
// (alpha = 0.05 so that errors can be counted; the Clopper–Pearson interval of
// each rate is printed). Undecided runs (the budget ran out) are not
// certified, which is safe, and are counted apart.
TEST(SamplerTest, SequentialErrorRatesStayBelowAlpha) {
  auto f = MeanThreshold(0.5);
  SmoothingOptions options;
  options.sigma = 0.5;
  options.n0 = 20;
  options.n = 6400;
  options.batch_size = 200;
  options.alpha = 0.05;
  options.seed = 2024;
  const double mean = 0.6, true_radius = 0.4;  // p_A = Φ(0.8) = 0.788
  const at::Tensor x = at::full({1, 4, 4}, mean);
  constexpr int kReps = 2000;
  for (double factor : {1.02, 0.98}) {
    SequentialOptions sequential;
    sequential.mode = SequentialOptions::Mode::kRadius;
    sequential.radius = true_radius * factor;
    sequential.first = 200;
    int errors = 0, undecided = 0;
    int64_t samples = 0;
    for (int rep = 0; rep < kReps; ++rep) {
      absl::StatusOr<SequentialResult> r = CertifySequential(*f, x, options, sequential, rep);
      ASSERT_TRUE(r.ok()) << r.status();
      const bool certified = r->predicted_class == 1;
      if (factor > 1 && certified) ++errors;
      if (factor < 1 && r->decided && !certified) ++errors;
      if (!r->decided) ++undecided;
      samples += r->samples;
    }
    std::printf(
        "radius %.2f R: wrong decisions %d/%d (95%% CI [%.4f, %.4f]), undecided %d, mean samples %.0f\n",
        factor, errors, kReps, ClopperPearsonLower(errors, kReps, 0.025),
        ClopperPearsonUpper(errors, kReps, 0.025), undecided, static_cast<double>(samples) / kReps);
    EXPECT_LE(static_cast<double>(errors) / kReps, options.alpha) << factor;
  }
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
  auto wrong = WrapForward(
      [](const at::Tensor& x) {
        return at::zeros({x.size(0), 3});
      },
      2, c10::Device(c10::kCPU));
  options.batch_size = 10;
  absl::StatusOr<std::vector<int64_t>> r =
      SampleCounts(*wrong, at::zeros({1, 4, 4}), 10, options, 0, SamplePhase::kSelection);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("expected [10, 2]"));
  // A model that throws (shape mismatch inside) becomes a Status.
  auto throwing = WrapForward(
      [](const at::Tensor& x) {
        return at::matmul(x, at::zeros({5, 5}));
      },
      2, c10::Device(c10::kCPU));
  EXPECT_FALSE(SampleCounts(*throwing, at::zeros({1, 4, 4}), 10, options, 0, SamplePhase::kSelection).ok());
  EXPECT_EQ(LoadTorchScript("/nonexistent.pt", 2, c10::Device(c10::kCPU)).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden::smoothing
