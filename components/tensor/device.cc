#include "components/tensor/device.h"

#include <torch/cuda.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace warden::tensor {

bool CudaAvailable() { return torch::cuda::is_available(); }

absl::StatusOr<c10::Device> ParseDevice(const std::string& spec) {
  if (spec == "cpu") return c10::Device(c10::kCPU);
  if (spec == "auto") return CudaAvailable() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  int index = 0;
  if (spec != "cuda") {
    const std::string prefix = "cuda:";
    if (spec.rfind(prefix, 0) != 0 || !absl::SimpleAtoi(spec.substr(prefix.size()), &index) ||
        index < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown device \"", spec, "\": expected ", kDeviceFlagHelp));
    }
  }
  const int64_t count = CudaAvailable() ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
  if (index >= count) {
    return absl::FailedPreconditionError(absl::StrCat(
        "device ", spec, " requested but ",
        count == 0 ? std::string("this build or machine has no CUDA device (use --device=cpu)")
                   : absl::StrCat("only ", count, " CUDA device(s) exist")));
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace warden::tensor
