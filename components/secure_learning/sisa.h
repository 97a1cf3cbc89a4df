// SISA exact unlearning (Bourtoule et al., IEEE S&P 2021) with linear heads as
// the constituent models: shards of the training set, each trained in slices
// with a checkpoint after every stage, a majority vote over the shards, and
// exact unlearning of a point by retraining its shard from the checkpoint
// before its slice. Spec: docs/specs/secure_learning.md §5; the layout and
// stage schedule are sisa_core.h's.
//
// On frozen encoder features a head needs few labels and trains in
// milliseconds, which is the study's claim for unlearning (spec §6, finding 4).
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_SISA_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_SISA_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "components/secure_learning/linear.h"
#include "components/secure_learning/sisa_core.h"

namespace warden::secure_learning {

struct SisaConfig {
  int64_t shards = 10;  // S
  int64_t slices = 1;   // R
  // head.steps is E: the full-batch steps ("epochs") one shard takes in all,
  // spread over its stages by SliceEpochs. Each stage starts from the previous
  // stage's weights with a fresh optimizer state.
  LinearConfig head;
  uint64_t seed = 0;  // the shuffle before sharding
};

struct UnlearnReport {
  int64_t shard = 0, slice = 0;
  int64_t stages = 0;       // stages retrained: slices - slice
  int64_t point_steps = 0;  // compute retrained: Σ over those stages of steps × points seen
  double seconds = 0;
};

class SisaEnsemble {
 public:
  // Shuffles the rows of x (N × d float; labels y, N int64) with config.seed,
  // cuts them into shards and slices, and trains every shard. InvalidArgument
  // for bad data or a layout that cannot be cut (N < shards × slices).
  static absl::StatusOr<SisaEnsemble> Train(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                            const SisaConfig& config);
  // Trains on an explicit layout (ids are rows of x; each at most once; every
  // shard has config.slices slices; slices may be empty).
  static absl::StatusOr<SisaEnsemble> TrainLayout(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                                  SisaLayout layout, const SisaConfig& config);

  // Majority vote of the shards' last-stage heads, ties to the lowest label;
  // a shard left without points does not vote.
  at::Tensor Predict(const at::Tensor& x) const;
  double Accuracy(const at::Tensor& x, const at::Tensor& y) const;

  // Deletes point `id` (a row of x) and retrains its shard from the stage of
  // its slice on. NotFound if the point is not (or no longer) in the layout.
  absl::StatusOr<UnlearnReport> Unlearn(int64_t id);

  // The compute of training every shard from scratch on the current layout,
  // in the units of UnlearnReport::point_steps: what a full retrain costs.
  int64_t TrainingPointSteps() const;

  const SisaLayout& layout() const { return layout_; }
  const LinearHead& head(int64_t shard) const { return checkpoints_[shard].back(); }

 private:
  SisaEnsemble(at::Tensor x, at::Tensor y, int64_t classes, SisaConfig config, SisaLayout layout);
  // Stages from_stage..R-1 of `shard`, from checkpoint from_stage - 1.
  absl::Status TrainShard(int64_t shard, int64_t from_stage);
  int64_t StagePointSteps(int64_t shard, int64_t from_stage) const;

  at::Tensor x_, y_;
  int64_t classes_;
  SisaConfig config_;
  SisaLayout layout_;
  std::vector<int64_t> stage_steps_;
  std::vector<std::vector<LinearHead>> checkpoints_;  // [shard][stage]
};

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_SISA_H_
