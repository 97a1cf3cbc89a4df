// The IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//
// Layout: two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32,
// 0x0D f32, 0x0E f64), a rank byte, one big-endian u32 per dimension, then the
// big-endian elements. Parsing validates all of it and returns a Status, never
// crashes; gzip input is recognised by its magic bytes.
#ifndef WARDEN_COMPONENTS_TENSOR_IDX_H_
#define WARDEN_COMPONENTS_TENSOR_IDX_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::tensor {

enum class IdxType : uint8_t {
  kU8 = 0x08,
  kI8 = 0x09,
  kI16 = 0x0B,
  kI32 = 0x0C,
  kF32 = 0x0D,
  kF64 = 0x0E,
};

// Bytes per element of `type`.
size_t IdxTypeSize(IdxType type);

struct IdxArray {
  IdxType type;
  std::vector<int64_t> dims;
  // Elements in row-major order, converted to host (little-endian) byte order.
  std::vector<uint8_t> data;

  int64_t numel() const;
};

// Largest decompressed input accepted (a guard against gzip bombs).
inline constexpr size_t kMaxIdxBytes = size_t{1} << 31;

// Parses an uncompressed IDX image. InvalidArgument or DataLoss naming the problem.
absl::StatusOr<IdxArray> ParseIdx(const uint8_t* data, size_t size);

// Reads `path`, gunzipping it if it starts with the gzip magic. Errors name the path.
absl::StatusOr<IdxArray> ReadIdxFile(const std::string& path);

// Decompresses a gzip image (at most kMaxIdxBytes out). DataLoss on corrupt input.
absl::StatusOr<std::vector<uint8_t>> Gunzip(const uint8_t* data, size_t size);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_IDX_H_
