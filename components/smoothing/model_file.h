// A base classifier from a file, whichever of the two formats it is in: the
// project's MNIST CNN as safetensors (mnist_cnn.h) or a user's TorchScript
// module (torch.jit.save; any architecture mapping raw pixels in [0, 1] to
// logits). The format is told by content, not by the file name: TorchScript
// files are zip archives ("PK\x03\x04"); safetensors files start with an
// 8-byte little-endian header length and then '{'.
#ifndef WARDEN_COMPONENTS_SMOOTHING_MODEL_FILE_H_
#define WARDEN_COMPONENTS_SMOOTHING_MODEL_FILE_H_

#include <c10/core/Device.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "components/smoothing/base_classifier.h"
#include "components/smoothing/mnist_cnn.h"
#include "nlohmann/json.hpp"

namespace warden::smoothing {

enum class ModelFormat { kSafetensors, kTorchScript };

// NotFound if the file cannot be opened; InvalidArgument (naming what the
// first bytes look like) if it is neither format.
absl::StatusOr<ModelFormat> DetectModelFormat(const std::string& path);

struct LoadedClassifier {
  std::unique_ptr<BaseClassifier> classifier;
  nlohmann::json metadata;  // the safetensors metadata (training command, sigma); empty for TorchScript
  std::string description;  // one line for the CLI: "MNIST CNN (safetensors)", "TorchScript module"
};

// Loads `path` (or the embedded MNIST sigma = 0.25 model when `path` is empty)
// onto `device`, in eval mode. `num_classes` is the TorchScript module's
// output width (the MNIST CNN has 10).
absl::StatusOr<LoadedClassifier> LoadClassifierFile(const std::string& path, int64_t num_classes,
                                                    c10::Device device);

// The MNIST CNN at `path` (safetensors), or the embedded sigma = 0.25 model when
// `path` is empty, on the CPU; `metadata` (may be null) gets its metadata.
absl::Status LoadMnistCnnOrDefault(const std::string& path, MnistCnn& model, nlohmann::json* metadata);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_MODEL_FILE_H_
