#include "components/reaas/encoder.h"

#include <chrono>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "components/secure_learning/encoder.h"
#include "components/tensor/checkpoint.h"
#include "components/tensor/random.h"

namespace warden::reaas {
namespace {

namespace F = torch::nn::functional;

constexpr double kBatchNormEps = 1e-5;

absl::Status ValidateShape(const EncoderShape& s) {
  if (s.width < 1 || s.feature_dim < 1 || s.image_size < 4 || s.image_size % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("need width, feature_dim >= 1 and an image size that is a "
                     "positive multiple of 4, got ",
                     s.width, ", ", s.feature_dim, ", ", s.image_size));
  }
  return absl::OkStatus();
}

// The shape of a batch of `n` inputs of `layer`.
std::vector<int64_t> BatchShape(const AffineLayer& layer, int64_t n) {
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), layer.input_shape.begin(), layer.input_shape.end());
  return shape;
}

// One power-iteration step of σ(W̃) per layer on persistent vectors (no
// gradient through the vectors); returns Σ ‖W̃ v‖ with v the updated unit
// vector, differentiable in the weights.
at::Tensor SpectralPenalty(const std::vector<AffineLayer>& layers, std::vector<at::Tensor>& vectors) {
  at::Tensor total = at::zeros({});
  for (size_t l = 0; l < layers.size(); ++l) {
    {
      torch::NoGradGuard no_grad;
      at::Tensor v = layers[l].Adjoint(layers[l].Linear(vectors[l]).detach()).detach();
      vectors[l] = v / v.norm().clamp_min(1e-12);
    }
    total = total + layers[l].Linear(vectors[l]).norm();
  }
  return total;
}

}  // namespace

at::Tensor AffineLayer::Linear(const at::Tensor& x) const {
  if (!conv) return x.flatten(1).mm(weight.t());
  return F::conv2d(x, weight, F::Conv2dFuncOptions().stride(stride).padding(padding));
}

at::Tensor AffineLayer::Adjoint(const at::Tensor& y) const {
  if (!conv) return y.mm(weight).view(BatchShape(*this, y.size(0)));
  // conv_transpose2d is conv2d's adjoint up to the rows the stride dropped:
  // output_padding restores the input's size.
  const int64_t k = weight.size(2);
  const int64_t natural = (y.size(2) - 1) * stride - 2 * padding + k;
  const int64_t extra = input_shape[1] - natural;
  return F::conv_transpose2d(
      y, weight, F::ConvTranspose2dFuncOptions().stride(stride).padding(padding).output_padding(extra));
}

at::Tensor AffineLayer::Apply(const at::Tensor& x) const {
  at::Tensor y = Linear(x);
  return conv ? y + bias.view({1, -1, 1, 1}) : y + bias;
}

at::Tensor FoldedEncoder::Forward(const at::Tensor& images) const {
  at::Tensor h = images;
  for (size_t l = 0; l < layers.size(); ++l) {
    h = layers[l].Apply(h);
    if (l + 1 < layers.size()) h = h.relu();
  }
  return h;
}

RobustEncoderImpl::RobustEncoderImpl(const EncoderShape& shape) : shape_(shape) {
  const int64_t w = shape.width;
  const std::vector<std::pair<int64_t, int64_t>> channels = {{1, w}, {w, 2 * w}, {2 * w, 2 * w}};
  const std::vector<int64_t> strides = {1, 2, 2};
  for (size_t i = 0; i < channels.size(); ++i) {
    convs_.push_back(
        register_module(absl::StrCat("conv", i),
                        torch::nn::Conv2d(torch::nn::Conv2dOptions(channels[i].first, channels[i].second, 3)
                                              .stride(strides[i])
                                              .padding(1)
                                              .bias(false))));
    norms_.push_back(register_module(
        absl::StrCat("bn", i),
        torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels[i].second).eps(kBatchNormEps))));
  }
  const int64_t side = shape.image_size / 4;
  fc_ = register_module("fc", torch::nn::Linear(2 * w * side * side, shape.feature_dim));
}

at::Tensor RobustEncoderImpl::forward(const at::Tensor& images) {
  at::Tensor h = images;
  for (size_t i = 0; i < convs_.size(); ++i) h = norms_[i]->forward(convs_[i]->forward(h)).relu();
  return fc_->forward(h.flatten(1));
}

std::vector<AffineLayer> RobustEncoderImpl::FoldedLayers(bool detach) const {
  std::vector<AffineLayer> layers;
  int64_t side = shape_.image_size, channels = 1;
  for (size_t i = 0; i < convs_.size(); ++i) {
    const torch::nn::BatchNorm2d& bn = norms_[i];
    // BN(z) = γ (z − μ) / √(var + eps) + β at the running statistics.
    const at::Tensor scale = bn->weight / (bn->running_var + kBatchNormEps).sqrt();
    AffineLayer layer;
    layer.weight = convs_[i]->weight * scale.view({-1, 1, 1, 1});
    layer.bias = bn->bias - bn->running_mean * scale;
    layer.stride = convs_[i]->options.stride()->at(0);
    layer.padding = 1;
    layer.input_shape = {channels, side, side};
    layers.push_back(std::move(layer));
    channels = convs_[i]->options.out_channels();
    side = (side + 2 - 3) / layers.back().stride + 1;
  }
  AffineLayer fc;
  fc.conv = false;
  fc.weight = fc_->weight;
  fc.bias = fc_->bias;
  fc.input_shape = {channels * side * side};
  layers.push_back(std::move(fc));
  if (detach) {
    for (AffineLayer& l : layers) {
      l.weight = l.weight.detach().clone();
      l.bias = l.bias.detach().clone();
    }
  }
  return layers;
}

absl::StatusOr<RobustEncoder> MakeRobustEncoder(const EncoderShape& shape, uint64_t seed) {
  if (absl::Status s = ValidateShape(shape); !s.ok()) return s;
  torch::manual_seed(seed);
  return RobustEncoder(shape);
}

absl::StatusOr<PretrainReport> PretrainEncoder(
    RobustEncoder& encoder, const at::Tensor& images, const at::Tensor& labels, int64_t classes,
    const PretrainConfig& c, const std::function<void(int64_t, int64_t, int64_t, double)>& progress) {
  const int64_t side = encoder->shape().image_size;
  if (images.dim() != 4 || images.size(0) < 2 || images.size(1) != 1 || images.size(2) != side ||
      images.size(3) != side) {
    return absl::InvalidArgumentError(absl::StrCat("need N >= 2 images of 1 x ", side, " x ", side));
  }
  const bool supervised = c.mode == Pretraining::kSupervised;
  if (supervised &&
      (labels.dim() != 1 || labels.size(0) != images.size(0) || labels.scalar_type() != at::kLong ||
       classes < 2 || labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= classes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("supervised pre-training needs N int64 labels in [0, ", classes, ")"));
  }
  if (c.epochs < 1 || c.batch_size < 2 || !(c.learning_rate > 0) || !(c.lambda >= 0) || !(c.tau > 0)) {
    return absl::InvalidArgumentError(
        "need epochs >= 1, batch_size >= 2, learning_rate > 0, lambda >= 0, tau > 0");
  }
  torch::manual_seed(c.seed + 1);  // the temporary head's initialisation
  const int64_t d = encoder->shape().feature_dim;
  torch::nn::Sequential head = supervised ? torch::nn::Sequential(torch::nn::Linear(d, classes))
                                          : torch::nn::Sequential(torch::nn::Linear(d, d), torch::nn::ReLU(),
                                                                  torch::nn::Linear(d, d / 2 + 1));
  std::vector<at::Tensor> params = encoder->parameters();
  for (const at::Tensor& p : head->parameters()) params.push_back(p);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(c.learning_rate));
  at::Generator gen = tensor::MakeCpuGenerator(c.seed, 61);
  // Persistent power-iteration vectors, one per folded layer, input-shaped.
  std::vector<at::Tensor> vectors;
  for (const AffineLayer& l : encoder->FoldedLayers(true)) {
    at::Tensor v = at::randn(BatchShape(l, 1), gen);
    vectors.push_back(v / v.norm());
  }
  secure_learning::AugmentOptions augment;
  PretrainReport report;
  const auto start = std::chrono::steady_clock::now();
  const int64_t n = images.size(0);
  const int64_t steps = (n + c.batch_size - 1) / c.batch_size;
  encoder->train();
  for (int64_t epoch = 0; epoch < c.epochs; ++epoch) {
    const at::Tensor order = at::randperm(n, gen);
    double loss_sum = 0;
    for (int64_t step = 0; step < steps; ++step) {
      const at::Tensor idx = order.slice(0, step * c.batch_size, (step + 1) * c.batch_size);
      if (idx.size(0) < 2) continue;  // BatchNorm needs two
      const at::Tensor batch = images.index_select(0, idx);
      at::Tensor loss;
      if (supervised) {
        loss = F::cross_entropy(head->forward(encoder->forward(batch)), labels.index_select(0, idx));
      } else {
        const at::Tensor z1 = head->forward(encoder->forward(secure_learning::Augment(batch, augment, gen)));
        const at::Tensor z2 = head->forward(encoder->forward(secure_learning::Augment(batch, augment, gen)));
        loss = secure_learning::NtXentLoss(z1, z2, c.tau);
      }
      at::Tensor total = loss;
      if (c.lambda > 0) total = total + c.lambda * SpectralPenalty(encoder->FoldedLayers(false), vectors);
      optimizer.zero_grad();
      total.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      if (progress) progress(epoch, step + 1, steps, loss_sum / static_cast<double>(step + 1));
    }
    report.epoch_loss.push_back(loss_sum / static_cast<double>(steps));
    torch::NoGradGuard no_grad;
    report.epoch_spectral.push_back(SpectralPenalty(encoder->FoldedLayers(true), vectors).item<double>());
  }
  encoder->eval();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

FoldedEncoder Fold(RobustEncoder& encoder) {
  encoder->eval();
  torch::NoGradGuard no_grad;
  return FoldedEncoder{encoder->FoldedLayers(true)};
}

absl::Status SaveFoldedEncoder(const FoldedEncoder& encoder, const nlohmann::json& metadata,
                               const std::string& path) {
  tensor::Checkpoint checkpoint;
  checkpoint.metadata = metadata.is_object() ? metadata : nlohmann::json::object();
  checkpoint.metadata["model"] = "reaas_folded_encoder";
  nlohmann::json geometry = nlohmann::json::array();
  for (size_t l = 0; l < encoder.layers.size(); ++l) {
    const AffineLayer& layer = encoder.layers[l];
    checkpoint.tensors.emplace_back(absl::StrCat("layer", l, ".weight"), layer.weight.contiguous());
    checkpoint.tensors.emplace_back(absl::StrCat("layer", l, ".bias"), layer.bias.contiguous());
    geometry.push_back({{"conv", layer.conv},
                        {"stride", layer.stride},
                        {"padding", layer.padding},
                        {"input_shape", layer.input_shape}});
  }
  checkpoint.metadata["layers"] = geometry;
  return tensor::SaveCheckpoint(path, checkpoint);
}

absl::StatusOr<LoadedFoldedEncoder> LoadFoldedEncoder(const std::string& path) {
  absl::StatusOr<tensor::Checkpoint> checkpoint = tensor::LoadCheckpoint(path);
  if (!checkpoint.ok()) return checkpoint.status();
  const nlohmann::json& meta = checkpoint->metadata;
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
  };
  if (!meta.is_object() || meta.value("model", "") != "reaas_folded_encoder")
    return bad("not a REaaS encoder (metadata model is not reaas_folded_encoder)");
  if (!meta.contains("layers") || !meta["layers"].is_array() || meta["layers"].empty())
    return bad("metadata lacks its layers");
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, t] : checkpoint->tensors) tensors[name] = t;
  LoadedFoldedEncoder out;
  out.metadata = meta;
  const nlohmann::json& geometry = meta["layers"];
  for (size_t l = 0; l < geometry.size(); ++l) {
    const nlohmann::json& g = geometry[l];
    AffineLayer layer;
    try {
      layer.conv = g.at("conv").get<bool>();
      layer.stride = g.at("stride").get<int64_t>();
      layer.padding = g.at("padding").get<int64_t>();
      layer.input_shape = g.at("input_shape").get<std::vector<int64_t>>();
    } catch (const nlohmann::json::exception& e) {
      return bad(absl::StrCat("layer ", l, " geometry: ", e.what()));
    }
    const auto w = tensors.find(absl::StrCat("layer", l, ".weight"));
    const auto b = tensors.find(absl::StrCat("layer", l, ".bias"));
    if (w == tensors.end() || b == tensors.end())
      return bad(absl::StrCat("layer ", l, " lacks its weight or bias"));
    layer.weight = w->second.to(at::kFloat);
    layer.bias = b->second.to(at::kFloat);
    const int64_t in_features = layer.conv ? -1 : (layer.input_shape.size() == 1 ? layer.input_shape[0] : -2);
    const bool ok = layer.conv ? (layer.weight.dim() == 4 && layer.input_shape.size() == 3 &&
                                  layer.weight.size(1) == layer.input_shape[0] &&
                                  layer.weight.size(2) == layer.weight.size(3) && layer.stride >= 1 &&
                                  layer.padding >= 0 && layer.input_shape[1] >= 1 &&
                                  layer.input_shape[1] == layer.input_shape[2])
                               : (layer.weight.dim() == 2 && layer.weight.size(1) == in_features);
    if (!ok || layer.bias.dim() != 1 || layer.bias.size(0) != layer.weight.size(0))
      return bad(absl::StrCat("layer ", l, " has a mis-shaped weight, bias or geometry"));
    out.encoder.layers.push_back(std::move(layer));
  }
  // The layers must chain: run a zero image through them.
  const std::vector<int64_t>& first = out.encoder.layers.front().input_shape;
  if (!out.encoder.layers.front().conv || first.size() != 3)
    return bad("the first layer must be a convolution");
  try {
    torch::NoGradGuard no_grad;
    at::Tensor h = at::zeros({1, first[0], first[1], first[2]});
    for (size_t l = 0; l < out.encoder.layers.size(); ++l) {
      const AffineLayer& layer = out.encoder.layers[l];
      std::vector<int64_t> expected = BatchShape(layer, 1);
      if (!layer.conv) h = h.flatten(1);
      if (h.sizes().vec() != expected) return bad(absl::StrCat("layer ", l, "'s input shape does not chain"));
      h = layer.Apply(h);
    }
  } catch (const c10::Error& e) {
    return bad(absl::StrCat("the layers do not chain: ", e.what_without_backtrace()));
  }
  return out;
}

}  // namespace warden::reaas
