// Element types of the safetensors format, independent of torch.
//
// Every dtype the format defines is here, including those LibTorch 1.13 has no
// equivalent for (U16/U32/U64, the F8 types): raw safetensors I/O handles them all;
// the torch adapter (safetensors_torch.h) says clearly when it cannot.
#ifndef WARDEN_COMPONENTS_TENSOR_DTYPE_H_
#define WARDEN_COMPONENTS_TENSOR_DTYPE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace warden::tensor {

enum class DType {
  kBool,
  kU8,
  kI8,
  kU16,
  kI16,
  kU32,
  kI32,
  kU64,
  kI64,
  kF16,
  kBF16,
  kF32,
  kF64,
  kF8E4M3,
  kF8E5M2,
};

// All dtypes, in the order above.
const std::vector<DType>& AllDTypes();

// The format's name ("F32", "BF16", "F8_E4M3", ...).
const char* DTypeName(DType dtype);

// The dtype called `name`, or nullopt for an unknown name.
std::optional<DType> DTypeFromName(const std::string& name);

// Bytes per element.
size_t DTypeSize(DType dtype);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_DTYPE_H_
