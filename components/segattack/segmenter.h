// The segmenters the certified-radius-guided attacks target
// (docs/specs/cr_attack.md §5.3): a small U-Net (16-32-64 channels, two
// pools, bilinear up-sampling, skip connections) and a small FCN of the same
// size without skips (stride-4 features, a 1×1 head, bilinear up-sampling to
// the input). Every 3×3 convolution is followed by batch norm and ReLU. Both take raw pixels in [0, 1] and
// return per-pixel logits, and save to and load from Warden checkpoints with their shape in the metadata.
#ifndef WARDEN_COMPONENTS_SEGATTACK_SEGMENTER_H_
#define WARDEN_COMPONENTS_SEGATTACK_SEGMENTER_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "components/smoothing/segmentation.h"

namespace warden::segattack {

struct SegmenterShape {
  std::string architecture = "unet";  // "unet" or "fcn"
  int64_t width = 16;                 // channels of the first stage; 2× and 4× below
  int64_t in_channels = 1;
  int64_t num_classes = 11;
};

// Checks the architecture name and that every size is positive.
absl::Status ValidateShape(const SegmenterShape& shape);

class SegNetImpl : public torch::nn::Module {
 public:
  explicit SegNetImpl(const SegmenterShape& shape);
  // N × C × H × W pixels in [0, 1] → N × K × H × W logits (any H, W >= 4).
  at::Tensor forward(const at::Tensor& pixels);
  const SegmenterShape& shape() const { return shape_; }
  int64_t num_parameters() const;

 private:
  at::Tensor UNet(const at::Tensor& x);
  at::Tensor Fcn(const at::Tensor& x);

  SegmenterShape shape_;
  torch::nn::Sequential enc1_{nullptr}, enc2_{nullptr}, mid_{nullptr}, dec2_{nullptr}, dec1_{nullptr};
  torch::nn::Sequential body_{nullptr};
  torch::nn::Conv2d head_{nullptr};
};
TORCH_MODULE(SegNet);

// A fresh segmenter of `shape`, its weights drawn from torch's generator
// seeded with `seed`. InvalidArgument for a bad shape.
absl::StatusOr<SegNet> MakeSegNet(const SegmenterShape& shape, uint64_t seed);

// Saves the weights and {"architecture", "width", "in_channels",
// "num_classes"} merged into `metadata` atomically at `path`.
absl::Status SaveSegNet(SegNet& model, const nlohmann::json& metadata, const std::string& path);

struct LoadedSegNet {
  SegNet model{nullptr};
  nlohmann::json metadata;
};
// Builds the segmenter the checkpoint's metadata names and loads its weights;
// `expect` (if set) must match the stored shape. One-line errors: a missing
// file, a file that is not a segmenter, a tensor of the wrong shape.
absl::StatusOr<LoadedSegNet> LoadSegNet(const std::string& path, const SegmenterShape* expect = nullptr);

// The most images one forward pass takes. Larger batches of these 48×48
// activations make glibc map and unmap every buffer (above its 32 MB mmap
// threshold), which costs 3-10× the throughput on CPU (segattack_benchmark's
// BM_Forward); smoothing's and the bandits' big batches go through in chunks.
inline constexpr int64_t kForwardChunk = 32;

// `model` as a smoothing::Segmenter (counting nothing, no gradients), its
// forward passes in chunks of kForwardChunk images.
std::unique_ptr<smoothing::Segmenter> AsSegmenter(SegNet model);

}  // namespace warden::segattack

#endif  // WARDEN_COMPONENTS_SEGATTACK_SEGMENTER_H_
