// AddGaussianNoise on CUDA tensors through the fused kernel. Needs a GPU and a
// CUDA LibTorch (tagged gpu/manual): on the device machine run
//   bazel test --config=cuda //components/tensor:random_cuda_test
// In CI it is only built under --config=cuda, which checks the CUDA path links.
#include <ATen/ATen.h>

#include <gtest/gtest.h>

#include "components/tensor/device.h"
#include "components/tensor/random.h"

namespace warden::tensor {
namespace {

TEST(RandomCudaTest, FusedNoiseOnGpu) {
  ASSERT_TRUE(CudaAvailable()) << "needs a GPU and a CUDA LibTorch";
  at::Tensor x = at::full({1 << 22}, 0.5f, at::TensorOptions().device(at::kCUDA));
  absl::StatusOr<at::Tensor> a = AddGaussianNoise(x, 0.25, 11, 2);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->is_cuda());
  at::Tensor noise = (*a - x).cpu();
  EXPECT_NEAR(noise.mean().item<double>(), 0.0, 0.002);
  EXPECT_NEAR(noise.std().item<double>(), 0.25, 0.002);
  EXPECT_TRUE(at::equal(AddGaussianNoise(x, 0.25, 11, 2)->cpu(), a->cpu()));
  EXPECT_FALSE(at::equal(AddGaussianNoise(x, 0.25, 11, 3)->cpu(), a->cpu()));
}

}  // namespace
}  // namespace warden::tensor
