// Randomized smoothing in both arms on a synthetic two-pattern task: the
// noise-trained bases learn it, the encoder stays frozen while its head
// trains, certificates are seeded and never exceed what n samples can
// certify, and bad inputs get clear errors.
#include "components/secure_learning/smoothed.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "components/smoothing/stats_core.h"
#include "components/status/status_matchers.h"

namespace warden::secure_learning {
namespace {

using ::warden::testing::StatusIs;

// Label 0: the top half lit; label 1: the bottom half.
std::pair<at::Tensor, at::Tensor> Halves(int64_t n, uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor y = at::randint(0, 2, {n}, at::kLong);
  at::Tensor x = at::rand({n, 1, 28, 28}) * 0.2;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = y[i].item<int64_t>() == 0 ? 0 : 14;
    x[i].slice(1, top, top + 14).add_(0.7);
  }
  return {x.clamp(0, 1), y};
}

smoothing::TrainConfig Training() {
  smoothing::TrainConfig c;
  c.sigma = 0.25;
  c.epochs = 2;
  c.batch_size = 32;
  c.learning_rate = 3e-3;
  return c;
}

smoothing::SmoothingOptions Certifying() {
  smoothing::SmoothingOptions o;
  o.sigma = 0.25;
  o.n0 = 20;
  o.n = 100;
  o.batch_size = 50;
  return o;
}

TEST(SmoothedTest, PixelCnnLearnsAndCertifies) {
  const auto [x, y] = Halves(256, 1);
  const auto [tx, ty] = Halves(10, 2);
  ASSERT_OK_AND_ASSIGN(auto f, TrainSmoothingBase(nullptr, x, y, 10, Training()));
  ASSERT_OK_AND_ASSIGN(const SmoothedEvaluation e, EvaluateSmoothed(*f, tx, ty, Certifying()));
  ASSERT_EQ(e.radius.size(), 10u);
  EXPECT_GE(e.accuracy, 0.8);
  // n = 100 draws can certify at most σ Φ⁻¹(α^{1/n}).
  const double most = 0.25 * smoothing::NormalQuantile(std::pow(1e-3, 1.0 / 100));
  for (double r : e.radius) EXPECT_LE(r, most + 1e-9);
  double sum = 0;
  for (double r : e.radius) sum += std::max(r, 0.0);
  EXPECT_NEAR(e.mean_radius, sum / 10, 1e-12);
  ASSERT_OK_AND_ASSIGN(const SmoothedEvaluation again, EvaluateSmoothed(*f, tx, ty, Certifying()));
  EXPECT_EQ(e.radius, again.radius);
}

TEST(SmoothedTest, EncoderStaysFrozenWhileItsHeadTrains) {
  const auto [x, y] = Halves(128, 3);
  EncoderShape shape;
  shape.width = 4;
  shape.feature_dim = 16;
  ASSERT_OK_AND_ASSIGN(Encoder encoder, MakeEncoder(shape, 0));
  std::vector<at::Tensor> before;
  for (const at::Tensor& p : encoder->parameters()) before.push_back(p.detach().clone());
  for (const at::Tensor& b : encoder->buffers()) before.push_back(b.detach().clone());
  ASSERT_OK_AND_ASSIGN(auto f, TrainSmoothingBase(&encoder, x, y, 10, Training()));
  size_t i = 0;
  for (const at::Tensor& p : encoder->parameters()) EXPECT_TRUE(p.equal(before[i++]));
  for (const at::Tensor& b : encoder->buffers()) EXPECT_TRUE(b.equal(before[i++]));  // BN statistics too
  ASSERT_OK_AND_ASSIGN(const at::Tensor logits, f->Logits(x.slice(0, 0, 4)));
  EXPECT_EQ(logits.sizes(), (at::IntArrayRef{4, 10}));
}

TEST(SmoothedTest, ClearErrors) {
  const auto [x, y] = Halves(8, 4);
  EXPECT_THAT(TrainSmoothingBase(nullptr, x.flatten(1), y, 10, Training()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrainSmoothingBase(nullptr, x, y, 3, Training()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("10 classes")));
  smoothing::TrainConfig bad = Training();
  bad.epochs = 0;
  EXPECT_THAT(TrainSmoothingBase(nullptr, x, y, 10, bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto f, TrainSmoothingBase(nullptr, x, y, 10, Training()));
  EXPECT_THAT(EvaluateSmoothed(*f, x, y.slice(0, 0, 4), Certifying()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace warden::secure_learning
