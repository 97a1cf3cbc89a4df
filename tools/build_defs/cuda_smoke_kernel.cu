#include "tools/build_defs/cuda_smoke_kernel.h"

#include <cuda_runtime.h>

namespace warden::build_defs {
namespace {

__global__ void SaxpyKernel(float a, const float* x, const float* y, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = a * x[i] + y[i];
}

}  // namespace

std::string SaxpyOnGpu(float a, const float* x, const float* y, float* out, int n) {
  const size_t bytes = sizeof(float) * static_cast<size_t>(n);
  float* device = nullptr;  // x, y, out laid out one after another
  cudaError_t err = cudaMalloc(&device, 3 * bytes);
  if (err != cudaSuccess) return cudaGetErrorString(err);
  cudaMemcpy(device, x, bytes, cudaMemcpyHostToDevice);
  cudaMemcpy(device + n, y, bytes, cudaMemcpyHostToDevice);
  const int threads = 256;
  SaxpyKernel<<<(n + threads - 1) / threads, threads>>>(a, device, device + n, device + 2 * n, n);
  err = cudaGetLastError();
  if (err == cudaSuccess) err = cudaMemcpy(out, device + 2 * n, bytes, cudaMemcpyDeviceToHost);
  cudaFree(device);
  return err == cudaSuccess ? std::string() : std::string(cudaGetErrorString(err));
}

}  // namespace warden::build_defs
