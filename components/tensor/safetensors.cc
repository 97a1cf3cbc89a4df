#include "components/tensor/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace warden::tensor {
namespace {

using Json = nlohmann::json;

absl::Status Invalid(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid safetensors: ", what));
}

absl::StatusOr<uint64_t> NonNegativeInteger(const Json& value, const std::string& what) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(value.get<int64_t>());
  }
  return Invalid(absl::StrCat(what, ": expected a non-negative integer, got ", value.dump()));
}

absl::StatusOr<SafetensorsEntry> ParseEntry(const std::string& name, const Json& value) {
  const std::string where = absl::StrCat("tensor \"", name, "\"");
  if (!value.is_object()) return Invalid(absl::StrCat(where, ": expected an object"));
  for (const auto& [key, unused] : value.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      return Invalid(absl::StrCat(where, ": unexpected field \"", key, "\""));
    }
  }
  SafetensorsEntry entry;
  entry.name = name;

  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) {
    return Invalid(absl::StrCat(where, ": missing string \"dtype\""));
  }
  std::optional<DType> parsed = DTypeFromName(dtype->get<std::string>());
  if (!parsed) {
    return Invalid(absl::StrCat(where, ": unknown dtype \"", dtype->get<std::string>(), "\""));
  }
  entry.dtype = *parsed;

  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) {
    return Invalid(absl::StrCat(where, ": missing array \"shape\""));
  }
  uint64_t numel = 1;
  for (const Json& dim : *shape) {
    absl::StatusOr<uint64_t> d = NonNegativeInteger(dim, absl::StrCat(where, " shape"));
    if (!d.ok()) return d.status();
    if (*d > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, *d, &numel)) {
      return Invalid(absl::StrCat(where, ": shape ", shape->dump(), " overflows"));
    }
    entry.shape.push_back(static_cast<int64_t>(*d));
  }

  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2) {
    return Invalid(absl::StrCat(where, ": \"data_offsets\" must be [begin, end]"));
  }
  absl::StatusOr<uint64_t> begin = NonNegativeInteger((*offsets)[0], where + " begin");
  if (!begin.ok()) return begin.status();
  absl::StatusOr<uint64_t> end = NonNegativeInteger((*offsets)[1], where + " end");
  if (!end.ok()) return end.status();
  if (*end < *begin) {
    return Invalid(absl::StrCat(where, ": data_offsets ", offsets->dump(), " end before begin"));
  }
  uint64_t expected_bytes;
  if (__builtin_mul_overflow(numel, DTypeSize(entry.dtype), &expected_bytes) ||
      expected_bytes != *end - *begin) {
    return Invalid(absl::StrCat(where, ": shape ", shape->dump(), " of ",
                                DTypeName(entry.dtype), " needs ", numel, " elements, but ",
                                "data_offsets ", offsets->dump(), " span ", *end - *begin,
                                " bytes"));
  }
  entry.begin = *begin;
  entry.end = *end;
  return entry;
}

}  // namespace

int64_t SafetensorsEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(const uint8_t* data, size_t size) {
  if (size < 8) {
    return Invalid(absl::StrCat("file is ", size, " bytes, shorter than the 8-byte header length"));
  }
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | data[i];
  if (header_len > kMaxSafetensorsHeaderBytes) {
    return Invalid(absl::StrCat("header length ", header_len, " exceeds the limit of ",
                                kMaxSafetensorsHeaderBytes, " bytes"));
  }
  if (header_len > size - 8) {
    return absl::DataLossError(absl::StrCat("invalid safetensors: header length ", header_len,
                                            " but only ", size - 8,
                                            " bytes follow (truncated file?)"));
  }
  const char* text = reinterpret_cast<const char*>(data + 8);
  Json header = Json::parse(text, text + header_len, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return Invalid("header is not valid JSON");
  if (!header.is_object()) return Invalid("header is not a JSON object");

  SafetensorsHeader result;
  result.data_offset = 8 + header_len;
  const uint64_t data_size = size - result.data_offset;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) return Invalid("__metadata__ must be an object");
      for (const auto& [mkey, mvalue] : value.items()) {
        if (!mvalue.is_string()) {
          return Invalid(absl::StrCat("__metadata__ \"", mkey, "\" must be a string"));
        }
        result.metadata[mkey] = mvalue.get<std::string>();
      }
      continue;
    }
    absl::StatusOr<SafetensorsEntry> entry = ParseEntry(key, value);
    if (!entry.ok()) return entry.status();
    if (entry->end > data_size) {
      return absl::DataLossError(absl::StrCat(
          "invalid safetensors: tensor \"", key, "\" ends at byte ", entry->end,
          " of a data section of ", data_size, " bytes (truncated file?)"));
    }
    result.entries.push_back(std::move(*entry));
  }
  // The data section must be covered exactly: no overlaps, no holes.
  std::sort(result.entries.begin(), result.entries.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  uint64_t covered = 0;
  for (const SafetensorsEntry& entry : result.entries) {
    if (entry.begin < covered) {
      return Invalid(absl::StrCat("tensor \"", entry.name, "\" at bytes [", entry.begin, ", ",
                                  entry.end, ") overlaps the tensor before it"));
    }
    if (entry.begin > covered) {
      return Invalid(absl::StrCat("bytes [", covered, ", ", entry.begin,
                                  ") of the data section belong to no tensor"));
    }
    covered = entry.end;
  }
  if (covered != data_size) {
    return Invalid(absl::StrCat("data section has ", data_size, " bytes but tensors cover ",
                                covered));
  }
  return result;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<MappedFile>> mapped = MappedFile::Open(path);
  if (!mapped.ok()) return mapped.status();
  absl::StatusOr<SafetensorsHeader> header =
      ParseSafetensorsHeader((*mapped)->data(), (*mapped)->size());
  if (!header.ok()) {
    return absl::Status(header.status().code(),
                        absl::StrCat(path, ": ", header.status().message()));
  }
  SafetensorsFile file;
  file.header_ = std::move(*header);
  file.data_ = (*mapped)->data();
  file.size_ = (*mapped)->size();
  file.mapped_ = std::move(*mapped);
  return file;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::FromBytes(std::string bytes) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  const auto* data = reinterpret_cast<const uint8_t*>(owned->data());
  absl::StatusOr<SafetensorsHeader> header = ParseSafetensorsHeader(data, owned->size());
  if (!header.ok()) return header.status();
  SafetensorsFile file;
  file.header_ = std::move(*header);
  file.data_ = data;
  file.size_ = owned->size();
  file.owned_ = std::move(owned);
  return file;
}

absl::StatusOr<const SafetensorsEntry*> SafetensorsFile::Find(const std::string& name) const {
  for (const SafetensorsEntry& entry : header_.entries) {
    if (entry.name == name) return &entry;
  }
  return absl::NotFoundError(absl::StrCat("no tensor named \"", name, "\""));
}

std::string_view SafetensorsFile::Bytes(const SafetensorsEntry& entry) const {
  return std::string_view(reinterpret_cast<const char*>(data_ + header_.data_offset + entry.begin),
                          entry.nbytes());
}

namespace {

// The header bytes (length prefix + JSON padded with spaces to a multiple of 8,
// so the data section is 8-byte aligned, as the reference writer does).
absl::StatusOr<std::string> BuildHeader(const std::vector<SafetensorsTensorView>& tensors,
                                        const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const SafetensorsTensorView& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__") {
      return absl::InvalidArgumentError(absl::StrCat("invalid tensor name \"", t.name, "\""));
    }
    if (!names.insert(t.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate tensor name \"", t.name, "\""));
    }
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor \"", t.name, "\": negative dimension ", d));
      }
      numel *= static_cast<uint64_t>(d);
    }
    if (numel * DTypeSize(t.dtype) != t.nbytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor \"", t.name, "\": ", numel, " elements of ", DTypeName(t.dtype), " need ",
          numel * DTypeSize(t.dtype), " bytes, got ", t.nbytes));
    }
    header[t.name] = {{"dtype", DTypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t len = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  out += json;
  return out;
}

}  // namespace

absl::StatusOr<std::string> SerializeSafetensors(
    const std::vector<SafetensorsTensorView>& tensors,
    const std::map<std::string, std::string>& metadata) {
  absl::StatusOr<std::string> out = BuildHeader(tensors, metadata);
  if (!out.ok()) return out.status();
  for (const SafetensorsTensorView& t : tensors) {
    out->append(static_cast<const char*>(t.data), t.nbytes);
  }
  return out;
}

absl::Status WriteSafetensors(const std::string& path,
                              const std::vector<SafetensorsTensorView>& tensors,
                              const std::map<std::string, std::string>& metadata,
                              const AtomicWriteOptions& options) {
  absl::StatusOr<std::string> header = BuildHeader(tensors, metadata);
  if (!header.ok()) return header.status();
  std::vector<ByteChunk> chunks = {{header->data(), header->size()}};
  for (const SafetensorsTensorView& t : tensors) chunks.push_back({t.data, t.nbytes});
  return WriteFileAtomically(path, chunks, options);
}

}  // namespace warden::tensor
