#include "components/segdata/scene_file.h"

#include <torch/torch.h>

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "components/tensor/safetensors_torch.h"

namespace warden::segdata {
namespace {

std::string Shape(const at::Tensor& t) { return absl::StrCat("[", c10::Join(", ", t.sizes()), "]"); }

}  // namespace

absl::Status ValidateSceneSet(const SceneSet& scenes) {
  const at::Tensor& images = scenes.images;
  const at::Tensor& masks = scenes.masks;
  if (!images.defined() || images.dim() != 4 || images.size(1) != 1 || images.scalar_type() != at::kFloat) {
    return absl::InvalidArgumentError(absl::StrCat(
        "images must be float32 N x 1 x S x S, got ",
        images.defined() ? absl::StrCat(c10::toString(images.scalar_type()), " ", Shape(images)) : "none"));
  }
  if (images.size(2) != images.size(3) || images.size(2) < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("images must be square canvases of side >= 4, got ", Shape(images)));
  }
  if (images.size(0) < 1) return absl::InvalidArgumentError("the scene set is empty");
  if (!masks.defined() || masks.scalar_type() != at::kLong || masks.dim() != 3 ||
      masks.size(0) != images.size(0) || masks.size(1) != images.size(2) || masks.size(2) != images.size(3)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "masks must be int64 N x S x S matching images ", Shape(images), ", got ",
        masks.defined() ? absl::StrCat(c10::toString(masks.scalar_type()), " ", Shape(masks)) : "none"));
  }
  if (!images.isfinite().all().item<bool>()) return absl::InvalidArgumentError("images hold NaN or Inf");
  const double lo = images.min().item<double>(), hi = images.max().item<double>();
  if (lo < 0 || hi > 1) {
    return absl::InvalidArgumentError(absl::StrCat("pixels must lie in [0, 1], found [", lo, ", ", hi, "]"));
  }
  const at::Tensor bad = ((masks < 0) | (masks >= kClasses)) & (masks != kIgnoreLabel);
  if (bad.any().item<bool>()) {
    const int64_t value = masks.masked_select(bad)[0].item<int64_t>();
    return absl::InvalidArgumentError(
        absl::StrCat("mask label ", value, " is not 0..", kClasses - 1, " or ", kIgnoreLabel, " (ignore)"));
  }
  return absl::OkStatus();
}

absl::Status SaveSceneFile(const std::string& path, const SceneSet& scenes) {
  if (absl::Status s = ValidateSceneSet(scenes); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not writing ", path, ": ", s.message()));
  }
  return tensor::SaveSafetensors(path, {{"images", scenes.images}, {"masks", scenes.masks}},
                                 {{"format", "warden segmentation scenes v1"}, {"source", scenes.source}});
}

absl::StatusOr<SceneSet> LoadSceneFile(const std::string& path) {
  std::map<std::string, std::string> metadata;
  absl::StatusOr<tensor::NamedTensors> tensors = tensor::LoadSafetensors(path, &metadata);
  if (!tensors.ok()) return tensors.status();
  SceneSet scenes;
  for (auto& [name, t] : *tensors) {
    if (name == "images") {
      scenes.images = std::move(t);
    } else if (name == "masks") {
      scenes.masks = std::move(t);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unexpected tensor '", name, "' (a scene file holds images and masks)"));
    }
  }
  if (!scenes.images.defined() || !scenes.masks.defined()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a scene file needs tensors 'images' and 'masks'"));
  }
  if (absl::Status s = ValidateSceneSet(scenes); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  const auto source = metadata.find("source");
  scenes.source = source == metadata.end() ? "" : source->second;
  return scenes;
}

}  // namespace warden::segdata
