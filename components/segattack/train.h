// Training and scoring the segmenters on digit scenes (docs/specs/cr_attack.md
// §5.3): Adam, cross-entropy over labelled pixels (the ignore label adds
// nothing), shuffled batches from a seeded stream; clean pixel accuracy,
// foreground accuracy and mIoU on the test scenes after every epoch.
#ifndef WARDEN_COMPONENTS_SEGATTACK_TRAIN_H_
#define WARDEN_COMPONENTS_SEGATTACK_TRAIN_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "components/segattack/segmenter.h"
#include "components/segdata/scenes.h"

namespace warden::segattack {

struct SegScores {
  double pixel_accuracy = 0, foreground_accuracy = 0, mean_iou = 0;
};

// The model's class map (N × H × W, int64) for images N × C × H × W.
at::Tensor Predict(SegNet& model, const at::Tensor& images, int64_t batch_size = kForwardChunk);

// Scores of the model's predictions on `images` against `masks`.
SegScores Score(SegNet& model, const at::Tensor& images, const at::Tensor& masks,
                int64_t batch_size = kForwardChunk);

struct SegTrainConfig {
  int64_t epochs = 6;
  int64_t batch_size = 32;
  double learning_rate = 1e-3;
  // true: the learning rate follows a cosine from learning_rate down to 0 over
  // all batches of all epochs (per batch); false: constant.
  bool cosine_decay = false;
  double noise_sigma = 0;  // > 0: Gaussian augmentation, for smoothing (SegCertify) at that σ
  uint64_t seed = 0;       // the batch order and the augmentation noise
};

struct SegTrainReport {
  std::vector<double> epoch_loss;  // mean training loss per epoch
  std::vector<SegScores> test;     // clean test scores after each epoch
  double seconds = 0;
};

// Trains `model` in place on `train` and scores it on `test` after each epoch.
// `progress` (if set) gets (epoch, batches done, batches per epoch, running loss).
absl::StatusOr<SegTrainReport> TrainSegNet(
    SegNet& model, const segdata::SceneSet& train, const segdata::SceneSet& test,
    const SegTrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress = {});

}  // namespace warden::segattack

#endif  // WARDEN_COMPONENTS_SEGATTACK_TRAIN_H_
