// GPU test of the fused noise kernel (tagged gpu/manual; run on the device
// machine: bazel test --config=cuda //components/tensor:noise_cuda_test).
#include <cuda_runtime.h>

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "components/tensor/noise_cuda.h"

namespace warden::tensor {
namespace {

std::vector<float> RunKernel(const std::vector<float>& x, float sigma, uint64_t seed) {
  const size_t bytes = x.size() * sizeof(float);
  float* device = nullptr;
  EXPECT_EQ(cudaMalloc(&device, 2 * bytes), cudaSuccess);
  cudaMemcpy(device, x.data(), bytes, cudaMemcpyHostToDevice);
  EXPECT_EQ(LaunchAddGaussianNoise(device, device + x.size(), static_cast<int64_t>(x.size()),
                                   sigma, seed),
            "");
  std::vector<float> out(x.size());
  cudaMemcpy(out.data(), device + x.size(), bytes, cudaMemcpyDeviceToHost);
  cudaFree(device);
  return out;
}

TEST(NoiseCudaTest, MomentsMatchAndSeedsAreReproducible) {
  const size_t n = (1 << 22) + 3;  // not a multiple of 4: exercises the tail
  std::vector<float> x(n, 0.25f);
  const float sigma = 0.5f;
  std::vector<float> a = RunKernel(x, sigma, 42);
  double sum = 0, sum_sq = 0;
  for (size_t i = 0; i < n; ++i) {
    const double z = (a[i] - x[i]) / sigma;
    sum += z;
    sum_sq += z * z;
  }
  const double mean = sum / n, var = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(static_cast<double>(n)));
  EXPECT_NEAR(var, 1.0, 0.01);

  EXPECT_EQ(RunKernel(x, sigma, 42), a);  // same seed, same noise
  std::vector<float> b = RunKernel(x, sigma, 43);
  size_t equal = 0;
  for (size_t i = 0; i < n; ++i) equal += (a[i] == b[i]);
  EXPECT_LT(equal, n / 1000);
  EXPECT_EQ(RunKernel(x, 0.0f, 7), x);  // sigma 0 is the identity
}

}  // namespace
}  // namespace warden::tensor
