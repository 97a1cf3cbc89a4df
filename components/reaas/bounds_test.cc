// F2IPerturb's bounds: power iteration finds a layer's exact operator norm
// (against the dense matrix's largest singular value), the interval bounds
// contain every sampled perturbation, U(r) grows with r, and on every test
// input R(Lipschitz) ≤ R(intervals) ≤ R(linear relaxation) ≤ R(PGD) — the
// certificate never exceeds what an attack reaches; where every ReLU is
// stable the linear bounds are exact (r times each feature's gradient norm).
#include "components/reaas/bounds.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <iostream>

#include "components/status/status_matchers.h"

namespace warden::reaas {
namespace {

using ::warden::testing::StatusIs;

// The dense matrix of layer.Linear at its input size (columns: basis inputs).
at::Tensor Dense(const AffineLayer& layer) {
  int64_t n = 1;
  for (int64_t s : layer.input_shape) n *= s;
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), layer.input_shape.begin(), layer.input_shape.end());
  AffineLayer d = layer;
  d.weight = layer.weight.to(at::kDouble);
  return d.Linear(at::eye(n, at::kDouble).view(shape)).flatten(1).t();
}

double LargestSingularValue(const at::Tensor& m) {
  return std::get<1>(at::linalg_svd(m, false)).max().item<double>();
}

FoldedEncoder SmallEncoder(uint64_t seed) {
  absl::StatusOr<RobustEncoder> e = MakeRobustEncoder({.width = 4, .feature_dim = 8, .image_size = 28}, seed);
  return Fold(*e);
}

TEST(BoundsTest, PowerIterationFindsTheExactOperatorNorm) {
  torch::manual_seed(0);
  AffineLayer conv;  // stride 2 with zero padding at a real input size: not a circulant
  conv.weight = at::randn({3, 2, 3, 3});
  conv.bias = at::zeros({3});
  conv.stride = 2;
  conv.padding = 1;
  conv.input_shape = {2, 9, 9};
  const double exact = LargestSingularValue(Dense(conv));
  EXPECT_NEAR(OperatorNorm(conv, {}, {}) / (1 + kNormMargin), exact, 1e-5 * exact);
  // With half the inputs masked: the norm of the remaining columns.
  const at::Tensor mask = (at::rand({1, 2, 9, 9}) > 0.5).to(at::kFloat);
  const at::Tensor columns = Dense(conv) * mask.flatten().to(at::kDouble).unsqueeze(0);
  const double masked = LargestSingularValue(columns);
  EXPECT_NEAR(OperatorNorm(conv, mask, {}) / (1 + kNormMargin), masked, 1e-5 * masked);
  EXPECT_LE(masked, exact);
  AffineLayer linear;
  linear.conv = false;
  linear.weight = at::randn({5, 12});
  linear.bias = at::zeros({5});
  linear.input_shape = {12};
  EXPECT_NEAR(OperatorNorm(linear, {}, {}) / (1 + kNormMargin), LargestSingularValue(Dense(linear)), 1e-5);
}

constexpr Relaxation kBoth[] = {Relaxation::kInterval, Relaxation::kLinear};

TEST(BoundsTest, BoundsContainThePerturbedFeaturesAndGrowWithR) {
  const FoldedEncoder enc = SmallEncoder(1);
  const LipschitzBound global = GlobalLipschitz(enc);
  torch::manual_seed(2);
  const at::Tensor x = at::rand({1, 28, 28});
  const at::Tensor f0 = enc.Forward(x.unsqueeze(0)).squeeze(0);
  for (Relaxation relaxation : kBoth) {
    double previous = 0;
    for (double r : {0.0, 0.05, 0.2, 0.5, 1.0}) {
      ASSERT_OK_AND_ASSIGN(const BallBounds b, BoundBall(enc, global, x, r, {.relaxation = relaxation}));
      EXPECT_GE(b.deviation(), previous - 1e-9) << r;
      EXPECT_LE(b.local_lipschitz, global.lipschitz * (1 + 1e-6));
      previous = b.deviation();
      for (int i = 0; i < 20; ++i) {
        at::Tensor delta = at::randn({1, 1, 28, 28});
        delta *= (i < 10 ? r : r * at::rand({1}).item<double>()) / delta.norm().item<double>();
        const at::Tensor f = enc.Forward(x.unsqueeze(0) + delta).squeeze(0);
        EXPECT_TRUE((f >= b.lower - 1e-4).all().item<bool>() && (f <= b.upper + 1e-4).all().item<bool>())
            << "r " << r;
        EXPECT_LE((f - f0).norm().item<double>(), b.deviation() + 1e-4);
      }
    }
    ASSERT_OK_AND_ASSIGN(const BallBounds zero, BoundBall(enc, global, x, 0, {.relaxation = relaxation}));
    EXPECT_NEAR(zero.box_deviation, 0, 1e-5);
    EXPECT_EQ(zero.unstable, 0);
  }
}

TEST(BoundsTest, LinearBoundsAreExactWhereEveryReluIsStable) {
  const FoldedEncoder enc = SmallEncoder(6);
  const LipschitzBound global = GlobalLipschitz(enc);
  torch::manual_seed(7);
  const at::Tensor x = at::rand({1, 1, 28, 28}, at::kFloat);
  const double r = 1e-5;
  ASSERT_OK_AND_ASSIGN(const BallBounds b, BoundBall(enc, global, x, r, {.relaxation = Relaxation::kLinear}));
  ASSERT_EQ(b.unstable, 0);  // the encoder is affine on this ball
  const at::Tensor input = x.clone().requires_grad_(true);
  const at::Tensor f = enc.Forward(input).squeeze(0);
  for (int64_t j = 0; j < f.numel(); ++j) {
    const at::Tensor grad = torch::autograd::grad({f[j]}, {input}, {}, /*retain_graph=*/true)[0];
    const double spread = r * grad.norm().item<double>();
    EXPECT_NEAR(b.upper[j].item<double>() - f[j].item<double>(), spread, 1e-3 * spread + 1e-6) << j;
    EXPECT_NEAR(f[j].item<double>() - b.lower[j].item<double>(), spread, 1e-3 * spread + 1e-6) << j;
  }
}

TEST(BoundsTest, LinearRelaxationIsTighterThanIntervals) {
  const FoldedEncoder enc = SmallEncoder(8);
  const LipschitzBound global = GlobalLipschitz(enc);
  torch::manual_seed(9);
  const at::Tensor x = at::rand({1, 28, 28});
  for (double r : {0.02, 0.2}) {
    ASSERT_OK_AND_ASSIGN(const BallBounds box,
                         BoundBall(enc, global, x, r, {.relaxation = Relaxation::kInterval}));
    ASSERT_OK_AND_ASSIGN(const BallBounds lin,
                         BoundBall(enc, global, x, r, {.relaxation = Relaxation::kLinear}));
    EXPECT_TRUE((lin.lower >= box.lower).all().item<bool>() && (lin.upper <= box.upper).all().item<bool>());
    EXPECT_LE(lin.unstable, box.unstable);
    EXPECT_LT(lin.box_deviation, 0.5 * box.box_deviation) << "r " << r;
    // One neuron at a time gives the same bounds as one block.
    ASSERT_OK_AND_ASSIGN(
        const BallBounds single,
        BoundBall(enc, global, x, r, {.relaxation = Relaxation::kLinear, .chunk_floats = 1}));
    EXPECT_TRUE(at::allclose(single.lower, lin.lower, 1e-5, 1e-6) &&
                at::allclose(single.upper, lin.upper, 1e-5, 1e-6));
    EXPECT_EQ(single.unstable, lin.unstable);
    // Receptive-field patches give the same bounds as full maps.
    ASSERT_OK_AND_ASSIGN(const BallBounds full,
                         BoundBall(enc, global, x, r, {.relaxation = Relaxation::kLinear, .patches = false}));
    EXPECT_TRUE(at::allclose(full.lower, lin.lower, 1e-4, 1e-5) &&
                at::allclose(full.upper, lin.upper, 1e-4, 1e-5))
        << (full.lower - lin.lower).abs().max().item<float>() << " "
        << (full.upper - lin.upper).abs().max().item<float>();
    EXPECT_EQ(full.unstable, lin.unstable);
  }
}

TEST(BoundsTest, LocalLipschitzRunsWithIntervalsUnlessToldOtherwise) {
  const FoldedEncoder enc = SmallEncoder(10);
  const LipschitzBound global = GlobalLipschitz(enc);
  torch::manual_seed(11);
  const at::Tensor x = at::rand({1, 28, 28});
  using LocalLipschitz = BoundOptions::LocalLipschitz;
  ASSERT_OK_AND_ASSIGN(const BallBounds box,
                       BoundBall(enc, global, x, 0.05, {.relaxation = Relaxation::kInterval}));
  EXPECT_LT(box.local_lipschitz, global.lipschitz);  // dead neurons on the ball lower L(r)
  ASSERT_OK_AND_ASSIGN(const BallBounds lin,
                       BoundBall(enc, global, x, 0.05, {.relaxation = Relaxation::kLinear}));
  EXPECT_EQ(lin.local_lipschitz, global.lipschitz);  // kAuto: not computed with CROWN
  ASSERT_OK_AND_ASSIGN(const BallBounds both, BoundBall(enc, global, x, 0.05,
                                                        {.relaxation = Relaxation::kLinear,
                                                         .local_lipschitz = LocalLipschitz::kAlways}));
  EXPECT_LT(both.local_lipschitz, global.lipschitz);
  EXPECT_TRUE(at::equal(both.upper, lin.upper));
  EXPECT_LE(both.deviation(), lin.deviation());
  ASSERT_OK_AND_ASSIGN(const BallBounds none, BoundBall(enc, global, x, 0.05,
                                                        {.relaxation = Relaxation::kInterval,
                                                         .local_lipschitz = LocalLipschitz::kNever}));
  EXPECT_EQ(none.local_lipschitz, global.lipschitz);
}

TEST(BoundsTest, CertificatesAreOrderedAndBelowTheAttack) {
  const FoldedEncoder enc = SmallEncoder(3);
  const LipschitzBound global = GlobalLipschitz(enc);
  torch::manual_seed(4);
  constexpr double kTolerance = 1e-3;
  for (int i = 0; i < 3; ++i) {
    const at::Tensor x = at::rand({1, 28, 28});
    const double scale = enc.Forward(x.unsqueeze(0)).norm().item<double>();
    for (double fraction : {0.01, 0.1}) {
      const double feature_radius = fraction * scale;
      ASSERT_OK_AND_ASSIGN(const double lipschitz, LipschitzRadius(global, feature_radius));
      ASSERT_OK_AND_ASSIGN(const PropagationResult box,
                           PropagationRadius(enc, global, x, feature_radius,
                                             {.relaxation = Relaxation::kInterval}, kTolerance));
      ASSERT_OK_AND_ASSIGN(
          const PropagationResult lin,
          PropagationRadius(enc, global, x, feature_radius, {.relaxation = Relaxation::kLinear}, kTolerance));
      ASSERT_OK_AND_ASSIGN(const double pgd, PgdRadius(enc, x, feature_radius, lin.radius));
      EXPECT_GT(lipschitz, 0);
      EXPECT_LE(lipschitz, box.radius);
      EXPECT_LE(box.radius, lin.radius * (1 + kTolerance));
      EXPECT_LE(lin.radius, pgd) << "input " << i << " fraction " << fraction;
      EXPECT_GT(box.bound_calls, 0);
      std::cout << "input " << i << " fraction " << fraction << ": Lipschitz " << lipschitz << ", intervals "
                << box.radius << ", linear " << lin.radius << ", PGD " << pgd << "\n";
    }
  }
}

TEST(BoundsTest, ClearErrors) {
  const FoldedEncoder enc = SmallEncoder(5);
  const LipschitzBound global = GlobalLipschitz(enc);
  EXPECT_THAT(LipschitzRadius(global, -1).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LipschitzRadius(global, NAN).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BoundBall(enc, global, at::rand({1, 27, 28}), 0.1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  at::Tensor nan = at::rand({1, 28, 28});
  nan[0][3][3] = NAN;
  EXPECT_THAT(PropagationRadius(enc, global, nan, 1.0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BoundBall(enc, global, at::rand({1, 28, 28}), -0.5).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(const PropagationResult zero,
                       PropagationRadius(enc, global, at::rand({1, 28, 28}), 0));
  EXPECT_EQ(zero.radius, 0);
}

}  // namespace
}  // namespace warden::reaas
