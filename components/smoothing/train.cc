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

absl::StatusOr<TrainReport> TrainGaussianAugmented(
    MnistCnn& model, const TrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress) {
  if (config.epochs < 1 || config.batch_size < 1 || !(config.sigma >= 0) ||
      !(config.learning_rate > 0)) {
    return absl::InvalidArgumentError(
        "need epochs >= 1, batch_size >= 1, sigma >= 0 and learning_rate > 0");
  }
  absl::StatusOr<tensor::ImageDataset> train =
      tensor::LoadImageDataset(config.dataset, tensor::Split::kTrain, config.limit);
  if (!train.ok()) return train.status();
  absl::StatusOr<tensor::ImageDataset> test =
      tensor::LoadImageDataset(config.dataset, tensor::Split::kTest);
  if (!test.ok()) return test.status();

  const auto start = std::chrono::steady_clock::now();
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(config.learning_rate));
  TrainReport report;
  const int64_t n = train->images.size(0);
  const int64_t batches = (n + config.batch_size - 1) / config.batch_size;
  for (int64_t epoch = 0; epoch < config.epochs; ++epoch) {
    model->train();
    at::Generator shuffle_gen = tensor::MakeCpuGenerator(config.seed, 1000 + epoch);
    const at::Tensor order = at::randperm(n, shuffle_gen);
    double loss_sum = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const at::Tensor idx = order.slice(0, b * config.batch_size, (b + 1) * config.batch_size);
      absl::StatusOr<at::Tensor> noisy = tensor::AddGaussianNoise(
          train->images.index_select(0, idx), config.sigma, config.seed, (epoch << 32) | b);
      if (!noisy.ok()) return noisy.status();
      optimizer.zero_grad();
      at::Tensor loss =
          torch::nn::functional::cross_entropy(model->forward(*noisy), train->labels.index_select(0, idx));
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      if (progress) progress(epoch, b + 1, batches, loss_sum / static_cast<double>(b + 1));
    }
    report.epoch_loss.push_back(loss_sum / static_cast<double>(batches));
    report.test_accuracy.push_back(Accuracy(model, test->images, test->labels, 0.0, 0));
    report.noisy_accuracy.push_back(
        Accuracy(model, test->images, test->labels, config.sigma, config.seed + 1));
  }
  model->eval();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace warden::smoothing
