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
  double learning_rate = 1e-3;    // Adam
  int64_t limit = -1;             // > 0: use only the first `limit` training images
  uint64_t seed = 0;
};

struct TrainReport {
  std::vector<double> epoch_loss;      // mean training loss per epoch
  std::vector<double> test_accuracy;   // clean test accuracy after each epoch
  std::vector<double> noisy_accuracy;  // test accuracy under N(0, σ²) noise
  double seconds = 0;
};

// Trains `model` in place. `progress` (if set) is called after every batch with
// (epoch, batches done, batches per epoch, running loss).
absl::StatusOr<TrainReport> TrainGaussianAugmented(
    MnistCnn& model, const TrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress = {});

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_TRAIN_H_
