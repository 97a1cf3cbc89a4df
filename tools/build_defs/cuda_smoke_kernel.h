// A minimal CUDA kernel that proves the nvcc + Bazel wiring (see cuda.bzl).
#ifndef WARDEN_TOOLS_BUILD_DEFS_CUDA_SMOKE_KERNEL_H_
#define WARDEN_TOOLS_BUILD_DEFS_CUDA_SMOKE_KERNEL_H_

#include <string>

namespace warden::build_defs {

// Computes out[i] = a * x[i] + y[i] on the first GPU for host arrays of length n.
// Returns an empty string on success, else the CUDA error message.
std::string SaxpyOnGpu(float a, const float* x, const float* y, float* out, int n);

}  // namespace warden::build_defs

#endif  // WARDEN_TOOLS_BUILD_DEFS_CUDA_SMOKE_KERNEL_H_
