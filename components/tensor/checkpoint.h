// Atomic checkpoints: named tensors plus JSON metadata in one safetensors file.
//
// A save writes a temporary file, fsyncs it and renames it over the old
// checkpoint (atomic_file.h): a save killed at any point leaves the previous
// checkpoint intact and readable. The JSON metadata rides in the safetensors
// "__metadata__" under "warden.metadata", so other tools can read the tensors.
#ifndef WARDEN_COMPONENTS_TENSOR_CHECKPOINT_H_
#define WARDEN_COMPONENTS_TENSOR_CHECKPOINT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "components/tensor/safetensors_torch.h"

namespace warden::tensor {

struct Checkpoint {
  NamedTensors tensors;
  nlohmann::json metadata = nlohmann::json::object();
};

// Saves `checkpoint` to `path` atomically. `options.progress` reports bytes.
absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint,
                            const AtomicWriteOptions& options = {});

// Loads a checkpoint written by SaveCheckpoint. NotFound if missing;
// InvalidArgument/DataLoss if the file is not a valid Warden checkpoint.
absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_CHECKPOINT_H_
