// The fused add-Gaussian-noise CUDA kernel behind AddGaussianNoise (random.h).
// Raw device pointers, no torch: testable on a GPU without a CUDA LibTorch.
#ifndef WARDEN_COMPONENTS_TENSOR_NOISE_CUDA_H_
#define WARDEN_COMPONENTS_TENSOR_NOISE_CUDA_H_

#include <cstdint>
#include <string>

namespace warden::tensor {

// out[i] = x[i] + sigma * z_i with z_i ~ N(0, 1) from Philox-4x32-10 keyed by
// `seed` (counter = i / 4), so the result depends only on (seed, i). x and out
// are device pointers of n floats (they may alias). Runs on the current
// device's default stream and waits for it. Returns "" or the CUDA error.
std::string LaunchAddGaussianNoise(const float* x, float* out, int64_t n, float sigma,
                                   uint64_t seed);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_NOISE_CUDA_H_
