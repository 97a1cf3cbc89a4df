// Training a base classifier with Gaussian data augmentation at the smoothing
// noise level (Cohen et al. train one model per σ).
#ifndef WARDEN_COMPONENTS_SMOOTHING_TRAIN_H_
#define WARDEN_COMPONENTS_SMOOTHING_TRAIN_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "components/smoothing/mnist_cnn.h"

namespace warden::smoothing {

struct TrainConfig {
  std::string dataset = "mnist";  // or "fashion-mnist"
  double sigma = 0.25;            // noise added to every training image
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double learning_rate = 1e-3;  // Adam
  int64_t limit = -1;           // > 0: use only the first `limit` training images
  uint64_t seed = 0;
};

struct TrainReport {
  std::vector<double> epoch_loss;      // mean training loss per epoch
  std::vector<double> test_accuracy;   // clean test accuracy after each epoch
  std::vector<double> noisy_accuracy;  // test accuracy under N(0, σ²) noise
  double seconds = 0;
};

// The training loop itself, for any classifier: Adam on `parameters` over
// shuffled batches of (images + σ·N(0, I), labels), minimising the
// cross-entropy of `forward`'s logits. Uses config's sigma, epochs,
// batch_size, learning_rate and seed (not dataset or limit). `progress` as
// below; `after_epoch` (if set) gets (epoch, mean loss). Returns the mean
// loss per epoch. InvalidArgument for bad config or data.
absl::StatusOr<std::vector<double>> TrainWithGaussianNoise(
    const std::vector<at::Tensor>& parameters, const std::function<at::Tensor(const at::Tensor&)>& forward,
    const at::Tensor& images, const at::Tensor& labels, const TrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress = {},
    const std::function<void(int64_t, double)>& after_epoch = {});

// Trains `model` in place. `progress` (if set) is called after every batch with
// (epoch, batches done, batches per epoch, running loss).
absl::StatusOr<TrainReport> TrainGaussianAugmented(
    MnistCnn& model, const TrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress = {});

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_TRAIN_H_
