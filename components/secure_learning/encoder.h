// The self-supervised image encoder of the secure-learning study: a small
// conv trunk trained with SimCLR (NT-Xent over two augmented views) on an
// unlabeled split disjoint from the labelled, poisonable one. Spec:
// docs/specs/secure_learning.md §7 ("Encoder").
//
// Trunk: conv3×3 at strides 1/2/2/2 and widths w/2w/4w/4w with batch norm and
// ReLU (28 → 28 → 14 → 7 → 4), flattened, a linear map to the features φ
// (128). Projector for the loss only: 128 → 128 → 64. Features handed to the
// defences are L2-normalised φ. Checkpoints go through components/tensor.
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_ENCODER_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_ENCODER_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warden::secure_learning {

struct EncoderShape {
  int64_t width = 16;         // channels of the first conv; 2×, 4×, 4× below
  int64_t feature_dim = 128;  // φ
  int64_t projection_dim = 64;
  int64_t image_size = 28;  // square, one channel
};

class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const EncoderShape& shape);
  // N × 1 × S × S pixels in [0, 1] → N × feature_dim (not normalised).
  at::Tensor forward(const at::Tensor& pixels);
  // φ → the projection the contrastive loss sees.
  at::Tensor project(const at::Tensor& features);
  const EncoderShape& shape() const { return shape_; }

 private:
  EncoderShape shape_;
  torch::nn::Sequential trunk_{nullptr};
  torch::nn::Linear fc_{nullptr};
  torch::nn::Sequential projector_{nullptr};
};
TORCH_MODULE(Encoder);

// A fresh encoder with seeded initialisation; InvalidArgument for sizes < 1 or
// an image smaller than 8.
absl::StatusOr<Encoder> MakeEncoder(const EncoderShape& shape, uint64_t seed);

// The augmentations of the two views (spec §7).
struct AugmentOptions {
  double max_rotation_degrees = 15;
  double max_shift_pixels = 3;
  double min_scale = 0.8, max_scale = 1.2;
  double min_crop_area = 0.5;      // random resized crop: area fraction in [min, 1]
  double erase_probability = 0.5;  // random erasing of one rectangle
  double noise_probability = 0.5;  // Gaussian noise, sigma ~ U[0, max_noise_sigma]
  double max_noise_sigma = 0.5;
  bool horizontal_flip = false;  // Fashion-MNIST only (digits are not symmetric)
};

// One random view of each image (N × 1 × S × S in [0, 1]) from `generator`.
at::Tensor Augment(const at::Tensor& images, const AugmentOptions& options, at::Generator& generator);

// NT-Xent (SimCLR) over a batch of pairs: z1[i] and z2[i] are positives, the
// other 2B - 2 views negatives, cosine similarity over temperature tau.
at::Tensor NtXentLoss(const at::Tensor& z1, const at::Tensor& z2, double tau);

struct SimClrConfig {
  int64_t epochs = 10;
  int64_t batch_size = 256;  // pairs per step (2× views)
  double learning_rate = 1e-3;
  double tau = 0.5;
  uint64_t seed = 0;
  AugmentOptions augment;
};

struct SimClrReport {
  std::vector<double> epoch_loss;
  double seconds = 0;
};

// Trains `encoder` in place on `unlabeled` (N × 1 × S × S in [0, 1]).
// `progress` (if set) gets (epoch, step, steps per epoch, running loss).
absl::StatusOr<SimClrReport> TrainSimClr(
    Encoder& encoder, const at::Tensor& unlabeled, const SimClrConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress = {});

// L2-normalised features of `images`, in eval mode, in batches.
at::Tensor ExtractFeatures(Encoder& encoder, const at::Tensor& images, int64_t batch_size = 512);

absl::Status SaveEncoder(Encoder& encoder, const nlohmann::json& metadata, const std::string& path);

struct LoadedEncoder {
  Encoder encoder{nullptr};
  nlohmann::json metadata;
};
// Loads an encoder checkpoint; errors name the path and what is wrong (not an
// encoder, a missing / extra / mis-shaped tensor).
absl::StatusOr<LoadedEncoder> LoadEncoder(const std::string& path);

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_ENCODER_H_
