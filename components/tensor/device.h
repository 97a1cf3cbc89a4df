// Device choice for every component: the value of a `--device` flag.
#ifndef WARDEN_COMPONENTS_TENSOR_DEVICE_H_
#define WARDEN_COMPONENTS_TENSOR_DEVICE_H_

#include <c10/core/Device.h>

#include <string>

#include "absl/status/statusor.h"

namespace warden::tensor {

// Help text for a --device flag.
inline constexpr char kDeviceFlagHelp[] = "cpu, cuda, cuda:N, or auto (cuda if present)";

// Parses "cpu", "cuda", "cuda:N" or "auto". InvalidArgument for anything else;
// FailedPrecondition if CUDA is asked for and this build or machine has no such
// device.
absl::StatusOr<c10::Device> ParseDevice(const std::string& spec);

// Whether this process can use CUDA (a CUDA LibTorch and at least one GPU).
bool CudaAvailable();

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_DEVICE_H_
