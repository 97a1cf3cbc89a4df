// Linear heads: they fit separable data; DP-SGD with q = 1, no noise and a
// clip that never binds is exactly full-batch gradient descent; a binding clip
// bounds every step; bad input is refused.
#include "components/secure_learning/linear.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "components/status/status_matchers.h"

namespace warden::secure_learning {
namespace {

using ::warden::testing::StatusIs;

struct Toy {
  at::Tensor x, y;
};

// Three Gaussian blobs in 5 dimensions.
Toy Blobs(int64_t per_class, uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor centres = at::eye(3, 5) * 4;
  at::Tensor y = at::arange(3).repeat_interleave(per_class);
  return {centres.index_select(0, y) + at::randn({3 * per_class, 5}), y};
}

TEST(LinearTest, FitsSeparableBlobs) {
  const Toy train = Blobs(50, 1), test = Blobs(50, 2);
  ASSERT_OK_AND_ASSIGN(const LinearHead head, TrainLinearHead(train.x, train.y, 3));
  EXPECT_EQ(head.weight.sizes(), (at::IntArrayRef{3, 6}));
  EXPECT_GT(head.Accuracy(test.x, test.y), 0.95);
}

TEST(LinearTest, DpSgdWithoutNoiseOrClippingIsGradientDescent) {
  const Toy t = Blobs(20, 3);
  ASSERT_OK_AND_ASSIGN(
      const LinearHead gd,
      TrainLinearHead(t.x, t.y, 3, {.steps = 30, .learning_rate = 0.5, .weight_decay = 0, .adam = false}));
  ASSERT_OK_AND_ASSIGN(
      const LinearHead dp,
      TrainLinearHeadDpSgd(
          t.x, t.y, 3,
          {.sampling_rate = 1, .noise_multiplier = 0, .clip = 1e9, .steps = 30, .learning_rate = 0.5}));
  EXPECT_TRUE(dp.weight.allclose(gd.weight, 1e-5, 1e-5));
}

TEST(LinearTest, ClippingBoundsTheStep) {
  const Toy t = Blobs(20, 4);
  const double clip = 0.01, lr = 1;
  ASSERT_OK_AND_ASSIGN(
      const LinearHead dp,
      TrainLinearHeadDpSgd(
          t.x, t.y, 3,
          {.sampling_rate = 1, .noise_multiplier = 0, .clip = clip, .steps = 1, .learning_rate = lr}));
  // One step from zero: ‖W‖ <= lr · (N · C) / (q N) = lr · C.
  EXPECT_LE(dp.weight.norm().item<double>(), lr * clip + 1e-7);
  EXPECT_GT(dp.weight.norm().item<double>(), 0.5 * lr * clip);  // the clip binds on most examples
}

TEST(LinearTest, NoiseIsSeeded) {
  const Toy t = Blobs(20, 5);
  DpSgdConfig c{.sampling_rate = 0.3, .noise_multiplier = 1, .clip = 1, .steps = 5, .learning_rate = 0.1};
  ASSERT_OK_AND_ASSIGN(const LinearHead a, TrainLinearHeadDpSgd(t.x, t.y, 3, c));
  ASSERT_OK_AND_ASSIGN(const LinearHead b, TrainLinearHeadDpSgd(t.x, t.y, 3, c));
  c.seed = 1;
  ASSERT_OK_AND_ASSIGN(const LinearHead other, TrainLinearHeadDpSgd(t.x, t.y, 3, c));
  EXPECT_TRUE(a.weight.equal(b.weight));
  EXPECT_FALSE(a.weight.equal(other.weight));
}

TEST(LinearTest, BadInput) {
  const Toy t = Blobs(5, 6);
  EXPECT_THAT(TrainLinearHead(t.x, t.y, 2).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));  // label 2
  EXPECT_THAT(TrainLinearHead(t.x, t.y.slice(0, 0, 3), 3).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  at::Tensor nan = t.x.clone();
  nan[0][0] = NAN;
  EXPECT_THAT(TrainLinearHead(nan, t.y, 3).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrainLinearHeadDpSgd(t.x, t.y, 3, {.sampling_rate = 0}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace warden::secure_learning
