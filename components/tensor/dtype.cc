#include "components/tensor/dtype.h"

namespace warden::tensor {
namespace {

struct DTypeEntry {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::kBool, "BOOL", 1},      {DType::kU8, "U8", 1},    {DType::kI8, "I8", 1},
    {DType::kU16, "U16", 2},        {DType::kI16, "I16", 2},  {DType::kU32, "U32", 4},
    {DType::kI32, "I32", 4},        {DType::kU64, "U64", 8},  {DType::kI64, "I64", 8},
    {DType::kF16, "F16", 2},        {DType::kBF16, "BF16", 2}, {DType::kF32, "F32", 4},
    {DType::kF64, "F64", 8},        {DType::kF8E4M3, "F8_E4M3", 1},
    {DType::kF8E5M2, "F8_E5M2", 1},
};

const DTypeEntry& Entry(DType dtype) { return kDTypes[static_cast<int>(dtype)]; }

}  // namespace

const std::vector<DType>& AllDTypes() {
  static const auto* all = [] {
    auto* v = new std::vector<DType>();
    for (const DTypeEntry& e : kDTypes) v->push_back(e.dtype);
    return v;
  }();
  return *all;
}

const char* DTypeName(DType dtype) { return Entry(dtype).name; }

std::optional<DType> DTypeFromName(const std::string& name) {
  for (const DTypeEntry& e : kDTypes) {
    if (name == e.name) return e.dtype;
  }
  return std::nullopt;
}

size_t DTypeSize(DType dtype) { return Entry(dtype).size; }

}  // namespace warden::tensor
