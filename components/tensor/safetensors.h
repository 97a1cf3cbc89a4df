// The safetensors format, without torch: validated reading (memory-mapped) and
// atomic writing of named raw tensors plus string metadata.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON header
// ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
// {str: str}}), then the data section the offsets index. Reading validates all
// of it — header length, JSON, dtypes, shapes, offsets in range, sizes matching
// shapes, no overlaps or holes — and returns a Status, never crashes.
// safetensors_torch.h turns entries into torch tensors.
#ifndef WARDEN_COMPONENTS_TENSOR_SAFETENSORS_H_
#define WARDEN_COMPONENTS_TENSOR_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/dtype.h"
#include "components/tensor/mapped_file.h"

namespace warden::tensor {

// Largest header accepted (the reference implementation's limit too).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// One tensor entry of a safetensors header.
struct SafetensorsEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section
  uint64_t end = 0;

  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

// A parsed, validated header.
struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // sorted by begin offset
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;  // where the data section starts in the file
};

// Parses and validates the header of a complete safetensors image of `size`
// bytes. InvalidArgument/DataLoss with the offending name and value otherwise.
absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(const uint8_t* data, size_t size);

// A read-only safetensors file: memory-mapped, or over bytes held in memory.
class SafetensorsFile {
 public:
  // Maps and validates `path`; errors name the path.
  static absl::StatusOr<SafetensorsFile> Open(const std::string& path);
  // Validates `bytes`, which the file then owns.
  static absl::StatusOr<SafetensorsFile> FromBytes(std::string bytes);

  const std::vector<SafetensorsEntry>& entries() const { return header_.entries; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  size_t file_size() const { return size_; }

  // The entry called `name`, or NotFound.
  absl::StatusOr<const SafetensorsEntry*> Find(const std::string& name) const;
  // The raw little-endian bytes of `entry` (valid while this object lives).
  std::string_view Bytes(const SafetensorsEntry& entry) const;

 private:
  SafetensorsFile() = default;

  SafetensorsHeader header_;
  std::shared_ptr<const MappedFile> mapped_;
  std::shared_ptr<const std::string> owned_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// A tensor to write: raw little-endian bytes in row-major order.
struct SafetensorsTensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;
  size_t nbytes;
};

// Serializes `tensors` and `metadata` to a safetensors image in memory.
// InvalidArgument for duplicate or empty names, the reserved name
// "__metadata__", negative dims or a byte size that does not match the shape.
absl::StatusOr<std::string> SerializeSafetensors(
    const std::vector<SafetensorsTensorView>& tensors,
    const std::map<std::string, std::string>& metadata = {});

// Writes `tensors` and `metadata` to `path` atomically (atomic_file.h), without
// copying tensor data into a buffer. Errors as SerializeSafetensors, or I/O.
absl::Status WriteSafetensors(const std::string& path,
                              const std::vector<SafetensorsTensorView>& tensors,
                              const std::map<std::string, std::string>& metadata = {},
                              const AtomicWriteOptions& options = {});

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_SAFETENSORS_H_
