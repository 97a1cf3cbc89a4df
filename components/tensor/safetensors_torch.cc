#include "components/tensor/safetensors_torch.h"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace warden::tensor {
namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define WARDEN_TORCH_HAS_UNSIGNED_AND_FLOAT8 1
#endif

struct TypePair {
  DType dtype;
  c10::ScalarType scalar;
};

constexpr TypePair kTypePairs[] = {
    {DType::kBool, c10::kBool},   {DType::kU8, c10::kByte},      {DType::kI8, c10::kChar},
    {DType::kI16, c10::kShort},   {DType::kI32, c10::kInt},      {DType::kI64, c10::kLong},
    {DType::kF16, c10::kHalf},    {DType::kBF16, c10::kBFloat16}, {DType::kF32, c10::kFloat},
    {DType::kF64, c10::kDouble},
#ifdef WARDEN_TORCH_HAS_UNSIGNED_AND_FLOAT8
    {DType::kU16, c10::kUInt16},  {DType::kU32, c10::kUInt32},   {DType::kU64, c10::kUInt64},
    {DType::kF8E4M3, c10::kFloat8_e4m3fn}, {DType::kF8E5M2, c10::kFloat8_e5m2},
#endif
};

std::vector<int64_t> Shape(const SafetensorsEntry& entry) { return entry.shape; }

}  // namespace

absl::StatusOr<c10::ScalarType> TorchScalarType(DType dtype) {
  for (const TypePair& p : kTypePairs) {
    if (p.dtype == dtype) return p.scalar;
  }
  return absl::UnimplementedError(absl::StrCat("dtype ", DTypeName(dtype),
                                               " has no equivalent in LibTorch ", TORCH_VERSION));
}

absl::StatusOr<DType> SafetensorsDType(c10::ScalarType type) {
  for (const TypePair& p : kTypePairs) {
    if (p.scalar == type) return p.dtype;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("torch dtype ", c10::toString(type), " cannot be stored in safetensors"));
}

absl::StatusOr<at::Tensor> ReadTensor(const SafetensorsFile& file, const SafetensorsEntry& entry) {
  absl::StatusOr<c10::ScalarType> type = TorchScalarType(entry.dtype);
  if (!type.ok()) {
    return absl::Status(type.status().code(),
                        absl::StrCat("tensor \"", entry.name, "\": ", type.status().message()));
  }
  at::Tensor out = at::empty(Shape(entry), at::TensorOptions().dtype(*type));
  const std::string_view bytes = file.Bytes(entry);
  if (!bytes.empty()) std::memcpy(out.data_ptr(), bytes.data(), bytes.size());
  return out;
}

absl::StatusOr<at::Tensor> MapTensor(const SafetensorsFile& file, const SafetensorsEntry& entry) {
  const std::string_view bytes = file.Bytes(entry);
  if (reinterpret_cast<uintptr_t>(bytes.data()) % DTypeSize(entry.dtype) != 0 || bytes.empty()) {
    return ReadTensor(file, entry);
  }
  absl::StatusOr<c10::ScalarType> type = TorchScalarType(entry.dtype);
  if (!type.ok()) return ReadTensor(file, entry);  // same error message
  auto keep_alive = std::make_shared<SafetensorsFile>(file);
  return at::from_blob(const_cast<char*>(bytes.data()), Shape(entry),
                       [keep_alive](void*) mutable { keep_alive.reset(); },
                       at::TensorOptions().dtype(*type));
}

absl::StatusOr<NamedTensors> LoadSafetensors(const std::string& path,
                                             std::map<std::string, std::string>* metadata) {
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  if (!file.ok()) return file.status();
  NamedTensors tensors;
  for (const SafetensorsEntry& entry : file->entries()) {
    absl::StatusOr<at::Tensor> t = ReadTensor(*file, entry);
    if (!t.ok()) return absl::Status(t.status().code(), absl::StrCat(path, ": ", t.status().message()));
    tensors.emplace_back(entry.name, std::move(*t));
  }
  if (metadata != nullptr) *metadata = file->metadata();
  return tensors;
}

absl::Status SaveSafetensors(const std::string& path, const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata,
                             const AtomicWriteOptions& options) {
  std::vector<at::Tensor> host;  // keeps CPU copies alive while writing
  std::vector<SafetensorsTensorView> views;
  host.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    if (!tensor.defined()) {
      return absl::InvalidArgumentError(absl::StrCat("tensor \"", name, "\" is undefined"));
    }
    absl::StatusOr<DType> dtype = SafetensorsDType(tensor.scalar_type());
    if (!dtype.ok()) {
      return absl::Status(dtype.status().code(),
                          absl::StrCat("tensor \"", name, "\": ", dtype.status().message()));
    }
    host.push_back(tensor.detach().to(at::kCPU).contiguous());
    const at::Tensor& t = host.back();
    views.push_back({name, *dtype, t.sizes().vec(), t.data_ptr(),
                     static_cast<size_t>(t.numel()) * t.element_size()});
  }
  return WriteSafetensors(path, views, metadata, options);
}

}  // namespace warden::tensor
