#include "components/secure_learning/encoder.h"

#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "components/tensor/checkpoint.h"
#include "components/tensor/module_state.h"
#include "components/tensor/random.h"

namespace warden::secure_learning {
namespace {

namespace F = torch::nn::functional;

// Side after a 3×3 conv, padding 1, stride 2.
int64_t Halve(int64_t s) { return (s - 1) / 2 + 1; }

// conv 3×3 (padding 1) + batch norm + ReLU, appended to `seq`.
void AddConvBlock(torch::nn::Sequential& seq, int64_t in, int64_t out, int64_t stride) {
  seq->push_back(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
  seq->push_back(torch::nn::BatchNorm2d(out));
  seq->push_back(torch::nn::ReLU());
}

absl::Status ValidateShape(const EncoderShape& s) {
  if (s.width < 1 || s.feature_dim < 1 || s.projection_dim < 1 || s.image_size < 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("encoder sizes must be >= 1 and the image >= 8, got width ", s.width, ", features ",
                     s.feature_dim, ", projection ", s.projection_dim, ", image ", s.image_size));
  }
  return absl::OkStatus();
}

}  // namespace

EncoderImpl::EncoderImpl(const EncoderShape& shape) : shape_(shape) {
  const int64_t w = shape.width;
  torch::nn::Sequential trunk;
  AddConvBlock(trunk, 1, w, 1);
  AddConvBlock(trunk, w, 2 * w, 2);
  AddConvBlock(trunk, 2 * w, 4 * w, 2);
  AddConvBlock(trunk, 4 * w, 4 * w, 2);
  trunk_ = register_module("trunk", trunk);
  const int64_t side = Halve(Halve(Halve(shape.image_size)));
  fc_ = register_module("fc", torch::nn::Linear(4 * w * side * side, shape.feature_dim));
  projector_ = register_module(
      "projector",
      torch::nn::Sequential(torch::nn::Linear(shape.feature_dim, shape.feature_dim), torch::nn::ReLU(),
                            torch::nn::Linear(shape.feature_dim, shape.projection_dim)));
}

at::Tensor EncoderImpl::forward(const at::Tensor& pixels) { return fc_(trunk_->forward(pixels).flatten(1)); }

at::Tensor EncoderImpl::project(const at::Tensor& features) { return projector_->forward(features); }

absl::StatusOr<Encoder> MakeEncoder(const EncoderShape& shape, uint64_t seed) {
  if (absl::Status s = ValidateShape(shape); !s.ok()) return s;
  torch::manual_seed(seed);
  return Encoder(shape);
}

at::Tensor Augment(const at::Tensor& images, const AugmentOptions& o, at::Generator& gen) {
  const int64_t n = images.size(0), side = images.size(2);
  const auto uniform = [&](double lo, double hi) { return at::rand({n}, gen) * (hi - lo) + lo; };
  // One affine map per image from output to input coordinates (normalised to
  // [-1, 1]): rotation, scale, random resized crop and shift.
  const at::Tensor angle = uniform(-1, 1) * (o.max_rotation_degrees * M_PI / 180);
  const at::Tensor zoom = uniform(o.min_scale, o.max_scale);
  const at::Tensor crop = uniform(o.min_crop_area, 1).sqrt();  // side fraction of the crop
  const at::Tensor factor = crop / zoom;
  const double shift = 2 * o.max_shift_pixels / static_cast<double>(side);
  const at::Tensor tx = uniform(-1, 1) * (1 - crop) + uniform(-shift, shift);
  const at::Tensor ty = uniform(-1, 1) * (1 - crop) + uniform(-shift, shift);
  at::Tensor flip = at::ones({n});
  if (o.horizontal_flip) flip = at::where(at::rand({n}, gen) < 0.5, -flip, flip);
  const at::Tensor cos = angle.cos() * factor, sin = angle.sin() * factor;
  const at::Tensor theta =
      at::stack({at::stack({cos * flip, -sin, tx}, 1), at::stack({sin * flip, cos, ty}, 1)}, 1);
  const at::Tensor grid = F::affine_grid(theta, images.sizes().vec(), /*align_corners=*/false);
  at::Tensor out = F::grid_sample(
      images, grid,
      F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
  // Random erasing: one rectangle of side S/8..S/2 per chosen image.
  const at::Tensor h = (uniform(side / 8.0, side / 2.0)).floor(),
                   w = (uniform(side / 8.0, side / 2.0)).floor();
  const at::Tensor y0 = (at::rand({n}, gen) * (side - h)).floor(),
                   x0 = (at::rand({n}, gen) * (side - w)).floor();
  const at::Tensor erase = at::rand({n}, gen) < o.erase_probability;
  const at::Tensor idx = at::arange(side, at::kFloat);
  const at::Tensor rows =
      (idx.view({1, side}) >= y0.view({n, 1})) & (idx.view({1, side}) < (y0 + h).view({n, 1}));
  const at::Tensor cols =
      (idx.view({1, side}) >= x0.view({n, 1})) & (idx.view({1, side}) < (x0 + w).view({n, 1}));
  const at::Tensor mask = rows.view({n, 1, side, 1}) & cols.view({n, 1, 1, side}) & erase.view({n, 1, 1, 1});
  out = out.masked_fill(mask, 0);
  // Gaussian noise with a random sigma on some images (robustness for smoothing).
  const at::Tensor sigma = uniform(0, o.max_noise_sigma) * (at::rand({n}, gen) < o.noise_probability);
  out = out + sigma.view({n, 1, 1, 1}) * at::randn(out.sizes(), gen);
  return out.clamp(0, 1);
}

at::Tensor NtXentLoss(const at::Tensor& z1, const at::Tensor& z2, double tau) {
  const int64_t b = z1.size(0);
  const at::Tensor z = F::normalize(at::cat({z1, z2}), F::NormalizeFuncOptions().dim(1));
  at::Tensor sim = z.mm(z.t()) / tau;
  sim = sim.masked_fill(at::eye(2 * b, at::kBool), -std::numeric_limits<float>::infinity());
  const at::Tensor targets = at::cat({at::arange(b, 2 * b), at::arange(0, b)});
  return F::cross_entropy(sim, targets);
}

absl::StatusOr<SimClrReport> TrainSimClr(
    Encoder& encoder, const at::Tensor& unlabeled, const SimClrConfig& c,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress) {
  const int64_t side = encoder->shape().image_size;
  if (unlabeled.dim() != 4 || unlabeled.size(1) != 1 || unlabeled.size(2) != side ||
      unlabeled.size(3) != side) {
    return absl::InvalidArgumentError(absl::StrCat("unlabeled images must be N x 1 x ", side, " x ", side,
                                                   ", got [", c10::Join(", ", unlabeled.sizes()), "]"));
  }
  if (c.epochs < 1 || c.batch_size < 2 || !(c.learning_rate > 0) || !(c.tau > 0)) {
    return absl::InvalidArgumentError("need epochs >= 1, batch_size >= 2, learning_rate > 0 and tau > 0");
  }
  const int64_t n = unlabeled.size(0);
  if (n < 2) return absl::InvalidArgumentError("need at least 2 unlabeled images");
  const auto start = std::chrono::steady_clock::now();
  torch::optim::Adam optimizer(encoder->parameters(), torch::optim::AdamOptions(c.learning_rate));
  const int64_t steps = n / std::min(c.batch_size, n);  // full batches only: NT-Xent wants many negatives
  SimClrReport report;
  encoder->train();
  for (int64_t epoch = 0; epoch < c.epochs; ++epoch) {
    at::Generator gen = tensor::MakeCpuGenerator(c.seed, 7000 + epoch);
    const at::Tensor order = at::randperm(n, gen);
    const int64_t b = std::min(c.batch_size, n);
    double loss_sum = 0;
    for (int64_t s = 0; s < steps; ++s) {
      const at::Tensor batch = unlabeled.index_select(0, order.slice(0, s * b, (s + 1) * b));
      const at::Tensor views = at::cat({Augment(batch, c.augment, gen), Augment(batch, c.augment, gen)});
      const at::Tensor z = encoder->project(encoder->forward(views));
      const at::Tensor loss = NtXentLoss(z.slice(0, 0, b), z.slice(0, b, 2 * b), c.tau);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      if (progress) progress(epoch, s + 1, steps, loss_sum / static_cast<double>(s + 1));
    }
    report.epoch_loss.push_back(loss_sum / static_cast<double>(steps));
  }
  encoder->eval();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

at::Tensor ExtractFeatures(Encoder& encoder, const at::Tensor& images, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  encoder->eval();
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < images.size(0); i += batch_size) {
    parts.push_back(encoder->forward(images.slice(0, i, i + batch_size)));
  }
  if (parts.empty()) return at::zeros({0, encoder->shape().feature_dim});
  return F::normalize(at::cat(parts), F::NormalizeFuncOptions().dim(1));
}

absl::Status SaveEncoder(Encoder& encoder, const nlohmann::json& metadata, const std::string& path) {
  tensor::Checkpoint checkpoint;
  checkpoint.tensors = tensor::ModuleTensors(*encoder);
  checkpoint.metadata = metadata.is_object() ? metadata : nlohmann::json::object();
  const EncoderShape& s = encoder->shape();
  checkpoint.metadata["model"] = "simclr_encoder";
  checkpoint.metadata["width"] = s.width;
  checkpoint.metadata["feature_dim"] = s.feature_dim;
  checkpoint.metadata["projection_dim"] = s.projection_dim;
  checkpoint.metadata["image_size"] = s.image_size;
  return tensor::SaveCheckpoint(path, checkpoint);
}

absl::StatusOr<LoadedEncoder> LoadEncoder(const std::string& path) {
  absl::StatusOr<tensor::Checkpoint> checkpoint = tensor::LoadCheckpoint(path);
  if (!checkpoint.ok()) return checkpoint.status();
  const nlohmann::json& meta = checkpoint->metadata;
  if (!meta.is_object() || meta.value("model", "") != "simclr_encoder") {
    return absl::InvalidArgumentError(absl::StrCat(path,
                                                   ": not an encoder checkpoint (metadata model is not "
                                                   "simclr_encoder)"));
  }
  EncoderShape shape;
  for (auto [key, field] :
       {std::pair{"width", &shape.width}, std::pair{"feature_dim", &shape.feature_dim},
        std::pair{"projection_dim", &shape.projection_dim}, std::pair{"image_size", &shape.image_size}}) {
    if (!meta.contains(key) || !meta[key].is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": metadata lacks an integer '", key, "'"));
    }
    *field = meta[key].get<int64_t>();
  }
  if (absl::Status s = ValidateShape(shape); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  LoadedEncoder out{Encoder(shape), meta};
  if (absl::Status s = tensor::LoadModuleTensors(checkpoint->tensors, *out.encoder); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  out.encoder->eval();
  return out;
}

}  // namespace warden::secure_learning
