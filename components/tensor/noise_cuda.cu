#include "components/tensor/noise_cuda.h"

#include <cuda_runtime.h>
#include <curand_kernel.h>

namespace warden::tensor {
namespace {

// Each thread produces four normals from one Philox counter (curand_normal4).
__global__ void AddGaussianNoiseKernel(const float* __restrict__ x, float* __restrict__ out,
                                       int64_t n, float sigma, unsigned long long seed) {
  const int64_t group = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t base = group * 4;
  if (base >= n) return;
  curandStatePhilox4_32_10_t state;
  curand_init(seed, /*subsequence=*/group, /*offset=*/0, &state);
  const float4 z = curand_normal4(&state);
  const float zs[4] = {z.x, z.y, z.z, z.w};
  for (int k = 0; k < 4 && base + k < n; ++k) out[base + k] = x[base + k] + sigma * zs[k];
}

}  // namespace

std::string LaunchAddGaussianNoise(const float* x, float* out, int64_t n, float sigma,
                                   uint64_t seed) {
  if (n <= 0) return "";
  const int threads = 256;
  const int64_t groups = (n + 3) / 4;
  const int64_t blocks = (groups + threads - 1) / threads;
  AddGaussianNoiseKernel<<<static_cast<unsigned int>(blocks), threads>>>(
      x, out, n, sigma, static_cast<unsigned long long>(seed));
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) err = cudaDeviceSynchronize();
  return err == cudaSuccess ? std::string() : std::string(cudaGetErrorString(err));
}

}  // namespace warden::tensor
