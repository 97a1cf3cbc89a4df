// The robust encoder of REaaS (Qu, Jia, Gong, NDSS 2023): a small CNN trained
// with a spectral-norm regulariser so that feature-space certificates turn
// into large input-space ones, and its export with BatchNorm folded into the
// convolutions. Spec: docs/specs/reaas.md §4 (regulariser) and §3 (what the
// bounds need: a chain of affine maps and ReLUs).
//
// Architecture (1 × 28 × 28 inputs, pixels in [0, 1]; radii are in that space):
//   conv3×3/1 (1→w) BN ReLU → conv3×3/2 (w→2w) BN ReLU →
//   conv3×3/2 (2w→2w) BN ReLU → flatten (2w·7·7) → linear → d features.
//
// The regulariser is λ Σ_l σ(W̃_l), where W̃_l is layer l's operator with
// its BatchNorm folded in at the running statistics (what the export serves),
// and σ is estimated Miyato-style: one power-iteration step per training step
// on persistent input-shaped vectors, the gradient flowing through ‖W̃ v‖.
#ifndef WARDEN_COMPONENTS_REAAS_ENCODER_H_
#define WARDEN_COMPONENTS_REAAS_ENCODER_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace warden::reaas {

struct EncoderShape {
  int64_t width = 16;        // channels of the first conv (then 2w, 2w)
  int64_t feature_dim = 64;  // d
  int64_t image_size = 28;   // square, one channel; a multiple of 4
};

// One affine map of a folded encoder: a convolution (weight O × I × k × k,
// stride, padding) or a linear map (weight O × I) with a bias, applied to an
// input of `input_shape` (C, H, W for a conv; I for a linear map; a conv's
// output is flattened before a linear layer).
struct AffineLayer {
  bool conv = true;
  at::Tensor weight, bias;
  int64_t stride = 1, padding = 0;
  std::vector<int64_t> input_shape;
  // The map without its bias on a batch shaped N × input_shape, and its
  // adjoint (back to N × input_shape).
  at::Tensor Linear(const at::Tensor& x) const;
  at::Tensor Adjoint(const at::Tensor& y) const;
  at::Tensor Apply(const at::Tensor& x) const;  // Linear(x) + bias
};

// What the service runs and the bounds analyse: affine layers with a ReLU
// between consecutive ones (none after the last). Features are not normalised.
struct FoldedEncoder {
  std::vector<AffineLayer> layers;
  at::Tensor Forward(const at::Tensor& images) const;  // N × 1 × S × S → N × d
  int64_t feature_dim() const { return layers.back().weight.size(0); }
};

class RobustEncoderImpl : public torch::nn::Module {
 public:
  explicit RobustEncoderImpl(const EncoderShape& shape);
  at::Tensor forward(const at::Tensor& images);
  const EncoderShape& shape() const { return shape_; }
  // The layers with BatchNorm folded in at the running statistics; the
  // weights keep their autograd history (for the regulariser) unless detached.
  std::vector<AffineLayer> FoldedLayers(bool detach) const;

 private:
  EncoderShape shape_;
  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> norms_;
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(RobustEncoder);

// A fresh encoder with seeded initialisation. InvalidArgument for sizes < 1
// or an image size that is not a positive multiple of 4.
absl::StatusOr<RobustEncoder> MakeRobustEncoder(const EncoderShape& shape, uint64_t seed);

enum class Pretraining { kSupervised, kContrastive };

struct PretrainConfig {
  Pretraining mode = Pretraining::kSupervised;
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double learning_rate = 1e-3;  // Adam
  double lambda = 0.0;          // the spectral-norm regulariser's weight
  double tau = 0.5;             // NT-Xent temperature (contrastive)
  uint64_t seed = 0;
};

struct PretrainReport {
  std::vector<double> epoch_loss;      // the pre-training loss (CE or NT-Xent), without the regulariser
  std::vector<double> epoch_spectral;  // Σ_l σ(W̃_l) at each epoch's end (power-iteration estimate)
  double seconds = 0;
};

// Pre-trains `encoder` in place on images (N × 1 × S × S in [0, 1]):
// supervised with a temporary linear head on `labels` (N int64, `classes`),
// or contrastive (SimCLR: two augmented views, a temporary projector; labels
// unused). `progress` (if set) gets (epoch, step, steps, running loss).
absl::StatusOr<PretrainReport> PretrainEncoder(
    RobustEncoder& encoder, const at::Tensor& images, const at::Tensor& labels, int64_t classes,
    const PretrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress = {});

// The export: BatchNorm folded, in eval mode. Forward equals the module's
// eval-mode forward to float rounding.
FoldedEncoder Fold(RobustEncoder& encoder);

// Checkpoints (components/tensor): the folded layers and `metadata`, which
// gains {"model": "reaas_folded_encoder"} and the layer geometry.
absl::Status SaveFoldedEncoder(const FoldedEncoder& encoder, const nlohmann::json& metadata,
                               const std::string& path);
struct LoadedFoldedEncoder {
  FoldedEncoder encoder;
  nlohmann::json metadata;
};
// Errors name the path and what is wrong (not this model, a missing or
// mis-shaped tensor, geometry that does not chain).
absl::StatusOr<LoadedFoldedEncoder> LoadFoldedEncoder(const std::string& path);

}  // namespace warden::reaas

#endif  // WARDEN_COMPONENTS_REAAS_ENCODER_H_
