// Image data sets as torch tensors: MNIST and Fashion-MNIST from the data
// directory (data_dir.h) that tools/setup lays out.
#ifndef WARDEN_COMPONENTS_TENSOR_DATASETS_H_
#define WARDEN_COMPONENTS_TENSOR_DATASETS_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace warden::tensor {

enum class Split { kTrain, kTest };

struct ImageDataset {
  std::string name;
  at::Tensor images;  // [N, 1, H, W] float32 in [0, 1] (raw pixel space)
  at::Tensor labels;  // [N] int64 in [0, num_classes)
  int64_t num_classes = 0;
};

// Loads "mnist" or "fashion-mnist". `limit` > 0 keeps the first `limit` examples.
// NotFound (with the tools/setup hint) if the files are missing; InvalidArgument
// or DataLoss if they are malformed or images and labels disagree.
absl::StatusOr<ImageDataset> LoadImageDataset(const std::string& name, Split split,
                                              int64_t limit = -1);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_DATASETS_H_
