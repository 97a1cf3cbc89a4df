// libFuzzer target for the safetensors parser: any byte string must give a
// valid file or an error Status, never a crash, leak or out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "components/tensor/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<warden::tensor::SafetensorsFile> file = warden::tensor::SafetensorsFile::FromBytes(
      std::string(reinterpret_cast<const char*>(data), size));
  if (!file.ok()) return 0;
  // Touch every byte of every tensor: offsets must be in range.
  uint64_t checksum = 0;
  for (const auto& entry : file->entries()) {
    for (char c : file->Bytes(entry)) checksum += static_cast<uint8_t>(c);
  }
  // Re-serialising a valid file must succeed and parse back to the same entries.
  std::vector<warden::tensor::SafetensorsTensorView> views;
  for (const auto& entry : file->entries()) {
    const std::string_view bytes = file->Bytes(entry);
    views.push_back({entry.name, entry.dtype, entry.shape, bytes.data(), bytes.size()});
  }
  absl::StatusOr<std::string> again = warden::tensor::SerializeSafetensors(views, file->metadata());
  if (!again.ok()) __builtin_trap();
  absl::StatusOr<warden::tensor::SafetensorsFile> reparsed =
      warden::tensor::SafetensorsFile::FromBytes(*again);
  if (!reparsed.ok() || reparsed->entries().size() != file->entries().size()) __builtin_trap();
  return static_cast<int>(checksum & 0);
}
