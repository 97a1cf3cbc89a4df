// libFuzzer target for the IDX parser and the gzip reader: any byte string must
// parse or give an error Status, never crash or read out of bounds.
#include <cstddef>
#include <cstdint>

#include "components/tensor/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<warden::tensor::IdxArray> array = warden::tensor::ParseIdx(data, size);
  if (array.ok() && array->data.size() !=
                        static_cast<size_t>(array->numel()) * IdxTypeSize(array->type)) {
    __builtin_trap();
  }
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    absl::StatusOr<std::vector<uint8_t>> raw = warden::tensor::Gunzip(data, size);
    if (raw.ok()) (void)warden::tensor::ParseIdx(raw->data(), raw->size());
  }
  return 0;
}
