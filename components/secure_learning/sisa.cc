#include "components/secure_learning/sisa.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "components/tensor/random.h"

namespace warden::secure_learning {

SisaEnsemble::SisaEnsemble(at::Tensor x, at::Tensor y, int64_t classes, SisaConfig config, SisaLayout layout)
    : x_(std::move(x)),
      y_(std::move(y)),
      classes_(classes),
      config_(std::move(config)),
      layout_(std::move(layout)),
      stage_steps_(SliceEpochs(config_.head.steps, config_.slices)),
      checkpoints_(layout_.size(), std::vector<LinearHead>(static_cast<size_t>(config_.slices))) {}

absl::StatusOr<SisaEnsemble> SisaEnsemble::Train(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                                 const SisaConfig& config) {
  if (absl::Status s = CheckLabelledFeatures(x, y, classes); !s.ok()) return s;
  at::Generator gen = tensor::MakeCpuGenerator(config.seed, 41);
  const at::Tensor perm = at::randperm(x.size(0), gen);
  const std::vector<int64_t> order(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + perm.numel());
  SisaLayout layout = MakeSisaLayout(order, config.shards, config.slices);
  if (layout.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot cut ", x.size(0), " points into ", config.shards,
                                                   " shards of ", config.slices, " slices"));
  }
  return TrainLayout(x, y, classes, std::move(layout), config);
}

absl::StatusOr<SisaEnsemble> SisaEnsemble::TrainLayout(const at::Tensor& x, const at::Tensor& y,
                                                       int64_t classes, SisaLayout layout,
                                                       const SisaConfig& config) {
  if (absl::Status s = CheckLabelledFeatures(x, y, classes); !s.ok()) return s;
  if (config.shards < 1 || config.slices < 1 || static_cast<int64_t>(layout.size()) != config.shards ||
      config.head.steps < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "need shards >= 1, slices >= 1, head steps >= 0 and a layout of ", config.shards, " shards"));
  }
  std::vector<bool> seen(static_cast<size_t>(x.size(0)), false);
  for (const auto& shard : layout) {
    if (static_cast<int64_t>(shard.size()) != config.slices)
      return absl::InvalidArgumentError(absl::StrCat("every shard needs ", config.slices, " slices"));
    for (const auto& slice : shard) {
      for (int64_t id : slice) {
        if (id < 0 || id >= x.size(0) || seen[static_cast<size_t>(id)])
          return absl::InvalidArgumentError(
              absl::StrCat("point ", id, " is out of range or in the layout twice"));
        seen[static_cast<size_t>(id)] = true;
      }
    }
  }
  SisaEnsemble ensemble(x, y, classes, config, std::move(layout));
  for (int64_t s = 0; s < config.shards; ++s) {
    if (absl::Status status = ensemble.TrainShard(s, 0); !status.ok()) return status;
  }
  return ensemble;
}

absl::Status SisaEnsemble::TrainShard(int64_t shard, int64_t from_stage) {
  LinearHead head = from_stage == 0 ? LinearHead{} : checkpoints_[shard][from_stage - 1];
  std::vector<int64_t> ids;
  for (int64_t j = 0; j < from_stage; ++j) {
    ids.insert(ids.end(), layout_[shard][j].begin(), layout_[shard][j].end());
  }
  for (int64_t j = from_stage; j < config_.slices; ++j) {
    ids.insert(ids.end(), layout_[shard][j].begin(), layout_[shard][j].end());
    if (!ids.empty()) {
      const at::Tensor rows = at::tensor(ids, at::kLong);
      LinearConfig stage = config_.head;
      stage.steps = stage_steps_[j];
      absl::StatusOr<LinearHead> next =
          ContinueLinearHead(head, x_.index_select(0, rows), y_.index_select(0, rows), classes_, stage);
      if (!next.ok()) return next.status();
      head = *next;
    }
    checkpoints_[shard][j] = head;
  }
  return absl::OkStatus();
}

int64_t SisaEnsemble::StagePointSteps(int64_t shard, int64_t from_stage) const {
  int64_t points = 0, total = 0;
  for (int64_t j = 0; j < config_.slices; ++j) {
    points += static_cast<int64_t>(layout_[shard][j].size());
    if (j >= from_stage) total += stage_steps_[j] * points;
  }
  return total;
}

int64_t SisaEnsemble::TrainingPointSteps() const {
  int64_t total = 0;
  for (size_t s = 0; s < layout_.size(); ++s) total += StagePointSteps(static_cast<int64_t>(s), 0);
  return total;
}

at::Tensor SisaEnsemble::Predict(const at::Tensor& x) const {
  torch::NoGradGuard no_grad;
  at::Tensor votes = at::zeros({x.size(0), classes_}, at::kLong);
  for (size_t s = 0; s < layout_.size(); ++s) {
    const LinearHead& h = checkpoints_[s].back();
    if (!h.weight.defined()) continue;  // no point left in this shard
    votes.scatter_add_(1, h.Predict(x).unsqueeze(1), at::ones({x.size(0), 1}, at::kLong));
  }
  return votes.argmax(1);  // the first maximum: ties go to the lowest label
}

double SisaEnsemble::Accuracy(const at::Tensor& x, const at::Tensor& y) const {
  return (Predict(x) == y).to(at::kDouble).mean().item<double>();
}

absl::StatusOr<UnlearnReport> SisaEnsemble::Unlearn(int64_t id) {
  const std::optional<SisaLocation> at = FindInLayout(layout_, id);
  if (!at) return absl::NotFoundError(absl::StrCat("point ", id, " is not in the training set"));
  const auto start = std::chrono::steady_clock::now();
  std::vector<int64_t>& slice = layout_[at->shard][at->slice];
  slice.erase(slice.begin() + at->position);
  if (absl::Status s = TrainShard(at->shard, at->slice); !s.ok()) return s;
  UnlearnReport report;
  report.shard = at->shard;
  report.slice = at->slice;
  report.stages = config_.slices - at->slice;
  report.point_steps = StagePointSteps(at->shard, at->slice);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace warden::secure_learning
