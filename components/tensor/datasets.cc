#include "components/tensor/datasets.h"

#include <ATen/ATen.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "components/tensor/data_dir.h"
#include "components/tensor/idx.h"

namespace warden::tensor {

absl::StatusOr<ImageDataset> LoadImageDataset(const std::string& name, Split split,
                                              int64_t limit) {
  absl::StatusOr<Dataset> dataset = FindDataset(name);
  if (!dataset.ok()) return dataset.status();
  if (name != "mnist" && name != "fashion-mnist") {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" is not an image data set (expected mnist or fashion-mnist)"));
  }
  // KnownDatasets lists train images, train labels, test images, test labels.
  const int first = split == Split::kTrain ? 0 : 2;
  absl::StatusOr<std::string> images_path = DataFile(dataset->files[first]);
  if (!images_path.ok()) return images_path.status();
  absl::StatusOr<std::string> labels_path = DataFile(dataset->files[first + 1]);
  if (!labels_path.ok()) return labels_path.status();

  absl::StatusOr<IdxArray> images = ReadIdxFile(*images_path);
  if (!images.ok()) return images.status();
  absl::StatusOr<IdxArray> labels = ReadIdxFile(*labels_path);
  if (!labels.ok()) return labels.status();
  if (images->type != IdxType::kU8 || images->dims.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat(*images_path, ": expected u8 images of rank 3, got rank ", images->dims.size()));
  }
  if (labels->type != IdxType::kU8 || labels->dims.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(*labels_path, ": expected u8 labels of rank 1"));
  }
  if (images->dims[0] != labels->dims[0]) {
    return absl::InvalidArgumentError(absl::StrCat("data set ", name, ": ", images->dims[0],
                                                   " images but ", labels->dims[0], " labels"));
  }
  const int64_t n = limit > 0 ? std::min(limit, images->dims[0]) : images->dims[0];
  const int64_t h = images->dims[1], w = images->dims[2];

  ImageDataset out;
  out.name = name;
  out.num_classes = 10;
  at::Tensor raw = at::empty({n, 1, h, w}, at::kByte);
  std::memcpy(raw.data_ptr(), images->data.data(), static_cast<size_t>(n * h * w));
  out.images = raw.to(at::kFloat).div_(255.0);
  at::Tensor raw_labels = at::empty({n}, at::kByte);
  std::memcpy(raw_labels.data_ptr(), labels->data.data(), static_cast<size_t>(n));
  out.labels = raw_labels.to(at::kLong);
  if (n > 0 && out.labels.max().item<int64_t>() >= out.num_classes) {
    return absl::InvalidArgumentError(absl::StrCat(*labels_path, ": label ",
                                                   out.labels.max().item<int64_t>(),
                                                   " out of range [0, 10)"));
  }
  return out;
}

}  // namespace warden::tensor
