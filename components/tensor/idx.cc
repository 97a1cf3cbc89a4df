#include "components/tensor/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "components/tensor/mapped_file.h"

namespace warden::tensor {
namespace {

absl::Status Invalid(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid IDX: ", what));
}

bool KnownType(uint8_t byte) {
  switch (byte) {
    case 0x08: case 0x09: case 0x0B: case 0x0C: case 0x0D: case 0x0E:
      return true;
    default:
      return false;
  }
}

}  // namespace

size_t IdxTypeSize(IdxType type) {
  switch (type) {
    case IdxType::kU8:
    case IdxType::kI8:
      return 1;
    case IdxType::kI16:
      return 2;
    case IdxType::kI32:
    case IdxType::kF32:
      return 4;
    case IdxType::kF64:
      return 8;
  }
  return 1;
}

int64_t IdxArray::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

absl::StatusOr<IdxArray> ParseIdx(const uint8_t* data, size_t size) {
  if (size < 4) return Invalid(absl::StrCat("file is ", size, " bytes, shorter than the magic"));
  if (data[0] != 0 || data[1] != 0) {
    return Invalid("magic must start with two zero bytes (is the file compressed?)");
  }
  if (!KnownType(data[2])) return Invalid(absl::StrCat("unknown element type 0x", absl::Hex(data[2])));
  const int rank = data[3];
  if (rank == 0) return Invalid("rank 0");
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (size < header) {
    return absl::DataLossError(absl::StrCat("invalid IDX: rank ", rank, " needs a ", header,
                                            "-byte header, file has ", size, " bytes"));
  }
  IdxArray array;
  array.type = static_cast<IdxType>(data[2]);
  const size_t item = IdxTypeSize(array.type);
  uint64_t numel = 1;
  for (int i = 0; i < rank; ++i) {
    const uint8_t* p = data + 4 + 4 * i;
    const uint64_t d = (uint64_t{p[0]} << 24) | (uint64_t{p[1]} << 16) | (uint64_t{p[2]} << 8) | p[3];
    array.dims.push_back(static_cast<int64_t>(d));
    if (__builtin_mul_overflow(numel, d, &numel) || numel > kMaxIdxBytes) {
      return Invalid("dimensions describe more than the size limit");
    }
  }
  const uint64_t expected = numel * item;
  if (size - header != expected) {
    return absl::DataLossError(absl::StrCat("invalid IDX: dimensions need ", expected,
                                            " data bytes, file has ", size - header,
                                            size - header < expected ? " (truncated?)" : ""));
  }
  array.data.assign(data + header, data + size);
  if (item > 1) {  // big-endian to host order
    for (size_t i = 0; i < array.data.size(); i += item) {
      std::reverse(array.data.begin() + i, array.data.begin() + i + item);
    }
  }
  return array;
}

absl::StatusOr<std::vector<uint8_t>> Gunzip(const uint8_t* data, size_t size) {
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  std::vector<uint8_t> out;
  stream.next_in = const_cast<Bytef*>(data);
  stream.avail_in = static_cast<uInt>(std::min<size_t>(size, UINT32_MAX));
  int ret = Z_OK;
  while (ret != Z_STREAM_END) {
    if (out.size() >= kMaxIdxBytes) {
      inflateEnd(&stream);
      return absl::InvalidArgumentError("gzip: decompresses to more than the 2 GiB limit");
    }
    const size_t old = out.size();
    out.resize(std::min(kMaxIdxBytes, std::max<size_t>(old * 2, 1 << 16)));
    stream.next_out = out.data() + old;
    stream.avail_out = static_cast<uInt>(out.size() - old);
    ret = inflate(&stream, Z_NO_FLUSH);
    out.resize(out.size() - stream.avail_out);
    if (ret == Z_STREAM_END) break;
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      inflateEnd(&stream);
      return absl::DataLossError(absl::StrCat("gzip: corrupt data (zlib error ", ret, ")"));
    }
    if (ret == Z_BUF_ERROR && stream.avail_in == 0) {
      inflateEnd(&stream);
      return absl::DataLossError("gzip: truncated stream");
    }
  }
  inflateEnd(&stream);
  return out;
}

absl::StatusOr<IdxArray> ReadIdxFile(const std::string& path) {
  absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  const uint8_t* data = (*file)->data();
  const size_t size = (*file)->size();
  absl::StatusOr<IdxArray> array;
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    absl::StatusOr<std::vector<uint8_t>> raw = Gunzip(data, size);
    if (!raw.ok()) {
      return absl::Status(raw.status().code(), absl::StrCat(path, ": ", raw.status().message()));
    }
    array = ParseIdx(raw->data(), raw->size());
  } else {
    array = ParseIdx(data, size);
  }
  if (!array.ok()) {
    return absl::Status(array.status().code(), absl::StrCat(path, ": ", array.status().message()));
  }
  return array;
}

}  // namespace warden::tensor
