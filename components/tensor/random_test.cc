#include "components/tensor/random.h"

#include <ATen/ATen.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warden::tensor {
namespace {

TEST(RandomTest, SameSeedSameTensorsDifferentStreamsDiffer) {
  at::Generator a = MakeCpuGenerator(1234, /*stream=*/0);
  at::Generator b = MakeCpuGenerator(1234, /*stream=*/0);
  at::Tensor x = at::randn({1000}, a);
  at::Tensor y = at::randn({1000}, b);
  EXPECT_TRUE(at::equal(x, y));

  // Per-rank streams: ranks 0..7 of one seed all differ.
  std::vector<at::Tensor> per_rank;
  for (uint64_t rank = 0; rank < 8; ++rank) {
    at::Generator g = MakeCpuGenerator(1234, rank);
    per_rank.push_back(at::randn({64}, g));
  }
  for (size_t i = 0; i < per_rank.size(); ++i) {
    for (size_t j = i + 1; j < per_rank.size(); ++j) {
      EXPECT_FALSE(at::equal(per_rank[i], per_rank[j])) << i << " vs " << j;
    }
  }
  // The process-global generator does not disturb a seeded one.
  at::Generator c = MakeCpuGenerator(1234, 0);
  at::randn({100});
  EXPECT_TRUE(at::equal(at::randn({1000}, c), x));
}

TEST(RandomTest, AddGaussianNoiseHasTheRightMomentsAndIsDeterministic) {
  at::Tensor x = at::full({200000}, 0.5f);
  absl::StatusOr<at::Tensor> noisy = AddGaussianNoise(x, 0.25, 7, 3);
  ASSERT_TRUE(noisy.ok()) << noisy.status();
  at::Tensor noise = *noisy - x;
  EXPECT_NEAR(noise.mean().item<double>(), 0.0, 0.003);
  EXPECT_NEAR(noise.std().item<double>(), 0.25, 0.003);
  EXPECT_TRUE(at::equal(*AddGaussianNoise(x, 0.25, 7, 3), *noisy));
  EXPECT_FALSE(at::equal(*AddGaussianNoise(x, 0.25, 7, 4), *noisy));
  EXPECT_TRUE(at::equal(*AddGaussianNoise(x, 0.0, 7, 3), x));
}

TEST(RandomTest, AddGaussianNoiseValidatesInput) {
  EXPECT_EQ(AddGaussianNoise(at::zeros({3}, at::kDouble), 0.1, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddGaussianNoise(at::zeros({3}), -1.0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warden::tensor
