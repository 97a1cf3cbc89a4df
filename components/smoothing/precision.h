// The arithmetic of a base classifier's forward pass: fp32, bf16 autocast or
// TF32 on CUDA, as scopes that set it and restore the previous state. Used by
// the sampler (sampler.h) and the forward benchmark.
#ifndef WARDEN_COMPONENTS_SMOOTHING_PRECISION_H_
#define WARDEN_COMPONENTS_SMOOTHING_PRECISION_H_

#include <ATen/core/ATen_fwd.h>
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

#include <string>

#include "absl/status/statusor.h"

namespace warden::smoothing {

// kBf16 runs the forward under autocast to bfloat16 (CPU or CUDA): counts may
// differ from fp32 on samples near a decision boundary, so a certificate is one
// of the bf16 classifier. kTf32 lets CUDA matmuls and convolutions use TF32 (no
// effect on a CPU).
enum class Precision { kFp32, kBf16, kTf32 };
absl::StatusOr<Precision> ParsePrecision(const std::string& name);  // "fp32", "bf16", "tf32"

// Autocast to bfloat16 on `device` while alive; restores the previous state.
// LibTorch 2.x takes the device type; 1.13 has one switch per device kind.
class Bf16Autocast {
 public:
  explicit Bf16Autocast(c10::DeviceType device);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  c10::DeviceType device_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kBFloat16;
};

// TF32 for CUDA matmuls and convolutions while alive.
class Tf32Scope {
 public:
  Tf32Scope();
  ~Tf32Scope();
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;

 private:
  bool blas_, cudnn_;
};

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_PRECISION_H_
