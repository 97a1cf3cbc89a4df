// Runs the smoke kernel on a GPU. Tagged gpu/manual: run it on the device machine
// with `bazel test --config=cuda //tools/build_defs:cuda_smoke_test`.
#include <cmath>
#include <cstdio>
#include <vector>

#include "tools/build_defs/cuda_smoke_kernel.h"

int main() {
  const int n = 1 << 20;
  std::vector<float> x(n), y(n), out(n, -1.0f);
  for (int i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i % 1000);
    y[i] = 0.5f;
  }
  const std::string error = warden::build_defs::SaxpyOnGpu(2.0f, x.data(), y.data(), out.data(), n);
  if (!error.empty()) {
    std::fprintf(stderr, "CUDA error: %s\n", error.c_str());
    return 1;
  }
  for (int i = 0; i < n; ++i) {
    if (std::fabs(out[i] - (2.0f * x[i] + 0.5f)) > 0.0f) {
      std::fprintf(stderr, "mismatch at %d: %f\n", i, out[i]);
      return 1;
    }
  }
  std::printf("saxpy on GPU: %d elements correct\n", n);
  return 0;
}
