// safetensors <-> torch tensors (the torch-facing half of safetensors.h).
//
// LibTorch 1.13 has no unsigned 16/32/64-bit or float8 dtypes: entries of those
// types are listed and readable as raw bytes (SafetensorsFile::Bytes) but
// converting them to a tensor gives Unimplemented naming the dtype. LibTorch
// 2.3+ converts them all.
#ifndef WARDEN_COMPONENTS_TENSOR_SAFETENSORS_TORCH_H_
#define WARDEN_COMPONENTS_TENSOR_SAFETENSORS_TORCH_H_

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "components/tensor/safetensors.h"

namespace warden::tensor {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// The torch scalar type of `dtype`, or Unimplemented.
absl::StatusOr<c10::ScalarType> TorchScalarType(DType dtype);
// The safetensors dtype of a torch scalar type, or InvalidArgument.
absl::StatusOr<DType> SafetensorsDType(c10::ScalarType type);

// A CPU tensor holding a copy of `entry`'s data.
absl::StatusOr<at::Tensor> ReadTensor(const SafetensorsFile& file, const SafetensorsEntry& entry);

// A CPU tensor over the file's memory (no copy) when the data is aligned for its
// dtype, else a copy. The tensor keeps the mapping alive; writes to it stay
// private to this process.
absl::StatusOr<at::Tensor> MapTensor(const SafetensorsFile& file, const SafetensorsEntry& entry);

// Every tensor of `path`, copied, in file order.
absl::StatusOr<NamedTensors> LoadSafetensors(const std::string& path,
                                             std::map<std::string, std::string>* metadata = nullptr);

// Writes `tensors` (any device; made contiguous on CPU) atomically to `path`.
absl::Status SaveSafetensors(const std::string& path, const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata = {},
                             const AtomicWriteOptions& options = {});

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_SAFETENSORS_TORCH_H_
