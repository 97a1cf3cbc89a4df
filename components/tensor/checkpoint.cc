#include "components/tensor/checkpoint.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace warden::tensor {
namespace {

constexpr char kFormatKey[] = "format";
constexpr char kFormatValue[] = "warden.checkpoint.v1";
constexpr char kMetadataKey[] = "warden.metadata";

}  // namespace

absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint,
                            const AtomicWriteOptions& options) {
  const std::map<std::string, std::string> metadata = {
      {kFormatKey, kFormatValue}, {kMetadataKey, checkpoint.metadata.dump()}};
  return SaveSafetensors(path, checkpoint.tensors, metadata, options);
}

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path) {
  std::map<std::string, std::string> metadata;
  absl::StatusOr<NamedTensors> tensors = LoadSafetensors(path, &metadata);
  if (!tensors.ok()) return tensors.status();
  auto format = metadata.find(kFormatKey);
  if (format == metadata.end() || format->second != kFormatValue) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a Warden checkpoint (no \"", kFormatKey, "\": \"",
                     kFormatValue, "\" in its metadata)"));
  }
  Checkpoint checkpoint;
  checkpoint.tensors = std::move(*tensors);
  auto json = metadata.find(kMetadataKey);
  if (json != metadata.end()) {
    checkpoint.metadata = nlohmann::json::parse(json->second, nullptr, /*allow_exceptions=*/false);
    if (checkpoint.metadata.is_discarded()) {
      return absl::DataLossError(absl::StrCat(path, ": checkpoint metadata is not valid JSON"));
    }
  }
  return checkpoint;
}

}  // namespace warden::tensor
