#include "components/smoothing/train.h"

#include <torch/torch.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "components/tensor/datasets.h"
#include "components/tensor/random.h"

namespace warden::smoothing {
namespace {

// Accuracy on `images` (optionally under noise from a fixed stream).
double Accuracy(MnistCnn& model, const at::Tensor& images, const at::Tensor& labels, double sigma,
                uint64_t seed) {
  torch::NoGradGuard no_grad;
  model->eval();
  int64_t correct = 0;
  for (int64_t start = 0; start < images.size(0); start += 1000) {
    at::Tensor batch = images.slice(0, start, start + 1000);
    if (sigma > 0) batch = *tensor::AddGaussianNoise(batch, sigma, seed, start);
    correct += model->forward(batch).argmax(1).eq(labels.slice(0, start, start + 1000)).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(images.size(0));
}

}  // namespace

absl::StatusOr<std::vector<double>> TrainWithGaussianNoise(
    const std::vector<at::Tensor>& parameters, const std::function<at::Tensor(const at::Tensor&)>& forward,
    const at::Tensor& images, const at::Tensor& labels, const TrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress,
    const std::function<void(int64_t, double)>& after_epoch) {
  if (config.epochs < 1 || config.batch_size < 1 || !(config.sigma >= 0) || !(config.learning_rate > 0)) {
    return absl::InvalidArgumentError("need epochs >= 1, batch_size >= 1, sigma >= 0 and learning_rate > 0");
  }
  if (images.dim() < 2 || images.size(0) < 1 || labels.dim() != 1 || labels.size(0) != images.size(0) ||
      labels.scalar_type() != at::kLong) {
    return absl::InvalidArgumentError("need N >= 1 images and N int64 labels");
  }
  torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(config.learning_rate));
  std::vector<double> epoch_loss;
  const int64_t n = images.size(0);
  const int64_t batches = (n + config.batch_size - 1) / config.batch_size;
  for (int64_t epoch = 0; epoch < config.epochs; ++epoch) {
    at::Generator shuffle_gen = tensor::MakeCpuGenerator(config.seed, 1000 + epoch);
    const at::Tensor order = at::randperm(n, shuffle_gen);
    double loss_sum = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const at::Tensor idx = order.slice(0, b * config.batch_size, (b + 1) * config.batch_size);
      absl::StatusOr<at::Tensor> noisy =
          tensor::AddGaussianNoise(images.index_select(0, idx), config.sigma, config.seed, (epoch << 32) | b);
      if (!noisy.ok()) return noisy.status();
      optimizer.zero_grad();
      at::Tensor loss = torch::nn::functional::cross_entropy(forward(*noisy), labels.index_select(0, idx));
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      if (progress) progress(epoch, b + 1, batches, loss_sum / static_cast<double>(b + 1));
    }
    epoch_loss.push_back(loss_sum / static_cast<double>(batches));
    if (after_epoch) after_epoch(epoch, epoch_loss.back());
  }
  return epoch_loss;
}

absl::StatusOr<TrainReport> TrainGaussianAugmented(
    MnistCnn& model, const TrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress) {
  absl::StatusOr<tensor::ImageDataset> train =
      tensor::LoadImageDataset(config.dataset, tensor::Split::kTrain, config.limit);
  if (!train.ok()) return train.status();
  absl::StatusOr<tensor::ImageDataset> test = tensor::LoadImageDataset(config.dataset, tensor::Split::kTest);
  if (!test.ok()) return test.status();

  const auto start = std::chrono::steady_clock::now();
  TrainReport report;
  model->train();
  absl::StatusOr<std::vector<double>> losses = TrainWithGaussianNoise(
      model->parameters(), [&](const at::Tensor& x) { return model->forward(x); }, train->images,
      train->labels, config, progress,
      [&](int64_t, double) {
        report.test_accuracy.push_back(Accuracy(model, test->images, test->labels, 0.0, 0));
        report.noisy_accuracy.push_back(
            Accuracy(model, test->images, test->labels, config.sigma, config.seed + 1));
        model->train();
      });
  if (!losses.ok()) return losses.status();
  report.epoch_loss = *losses;
  model->eval();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace warden::smoothing
