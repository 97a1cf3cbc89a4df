#include "components/segattack/train.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "components/segattack/metrics.h"
#include "components/tensor/random.h"

namespace warden::segattack {

at::Tensor Predict(SegNet& model, const at::Tensor& images, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < images.size(0); start += batch_size) {
    parts.push_back(model->forward(images.slice(0, start, start + batch_size)).argmax(1));
  }
  model->train(was_training);
  return parts.empty() ? at::empty({0, images.size(2), images.size(3)}, at::kLong) : at::cat(parts);
}

SegScores Score(SegNet& model, const at::Tensor& images, const at::Tensor& masks, int64_t batch_size) {
  SegMetrics metrics(model->shape().num_classes, segdata::kIgnoreLabel);
  metrics.Add(Predict(model, images, batch_size), masks);
  return {metrics.PixelAccuracy(), metrics.ForegroundAccuracy(), metrics.MeanIoU()};
}

absl::StatusOr<SegTrainReport> TrainSegNet(
    SegNet& model, const segdata::SceneSet& train, const segdata::SceneSet& test,
    const SegTrainConfig& config, const std::function<void(int64_t, int64_t, int64_t, double)>& progress) {
  if (config.epochs < 1 || config.batch_size < 1 || !(config.learning_rate > 0) ||
      !(config.noise_sigma >= 0)) {
    return absl::InvalidArgumentError(
        "need epochs >= 1, batch_size >= 1, learning_rate > 0 and noise_sigma >= 0");
  }
  const int64_t channels = model->shape().in_channels;
  for (const segdata::SceneSet* set : {&train, &test}) {
    if (set->images.dim() != 4 || set->images.size(1) != channels || set->masks.dim() != 3 ||
        set->masks.size(0) != set->images.size(0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenes must be N x ", channels, " x H x W with N x H x W masks"));
    }
  }
  if (train.images.size(0) == 0) return absl::InvalidArgumentError("no training scenes");

  const auto start = std::chrono::steady_clock::now();
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(config.learning_rate));
  const auto loss_options =
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(segdata::kIgnoreLabel);
  SegTrainReport report;
  const int64_t n = train.images.size(0);
  const int64_t batches = (n + config.batch_size - 1) / config.batch_size;
  for (int64_t epoch = 0; epoch < config.epochs; ++epoch) {
    model->train();
    at::Generator gen = tensor::MakeCpuGenerator(config.seed, 1000 + epoch);
    const at::Tensor order = at::randperm(n, gen);
    double loss_sum = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const at::Tensor idx = order.slice(0, b * config.batch_size, (b + 1) * config.batch_size);
      at::Tensor batch = train.images.index_select(0, idx);
      if (config.noise_sigma > 0) {
        absl::StatusOr<at::Tensor> noisy =
            tensor::AddGaussianNoise(batch, config.noise_sigma, config.seed, (epoch << 32) | b);
        if (!noisy.ok()) return noisy.status();
        batch = *noisy;
      }
      if (config.cosine_decay) {
        const double progress_fraction =
            static_cast<double>(epoch * batches + b) / static_cast<double>(config.epochs * batches);
        static_cast<torch::optim::AdamOptions&>(optimizer.param_groups()[0].options())
            .lr(config.learning_rate * 0.5 * (1 + std::cos(M_PI * progress_fraction)));
      }
      optimizer.zero_grad();
      at::Tensor loss = torch::nn::functional::cross_entropy(model->forward(batch),
                                                             train.masks.index_select(0, idx), loss_options);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      if (progress) progress(epoch, b + 1, batches, loss_sum / static_cast<double>(b + 1));
    }
    report.epoch_loss.push_back(loss_sum / static_cast<double>(batches));
    report.test.push_back(Score(model, test.images, test.masks));
  }
  model->eval();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace warden::segattack
