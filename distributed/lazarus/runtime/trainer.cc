#include "distributed/lazarus/runtime/trainer.h"

#include <torch/torch.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "distributed/lazarus/runtime/dispatch.h"

namespace warden::lazarus {
namespace {

constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;

at::Tensor Flat(const std::vector<at::Tensor>& tensors, at::Device device) {
  std::vector<at::Tensor> flat;
  for (const at::Tensor& t : tensors) flat.push_back(t.detach().reshape({-1}));
  return flat.empty() ? at::empty({0}, at::device(device)) : at::cat(flat);
}

// Copies consecutive slices of `buffer` into `tensors`; returns the offset after them.
int64_t Scatter(const at::Tensor& buffer, int64_t offset, std::vector<at::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (at::Tensor& t : tensors) {
    t.copy_(buffer.slice(0, offset, offset + t.numel()).view(t.sizes()));
    offset += t.numel();
  }
  return offset;
}

at::Tensor GradOrZeros(const at::Tensor& p) {
  return p.grad().defined() ? p.grad().reshape({-1}) : at::zeros({p.numel()}, p.options());
}

}  // namespace

Trainer::Trainer(const TrainConfig& config, const ByteCorpus* corpus)
    : config_(config), corpus_(corpus), model_(config.model, config.seed) {
  model_->to(config.device);
}

void Trainer::RetainExperts(const std::vector<ExpertKey>& keep) {
  std::map<ExpertKey, Expert> kept;
  for (const ExpertKey& k : keep) {
    auto it = experts_.find(k);
    if (it != experts_.end()) kept[k] = it->second;
  }
  experts_ = std::move(kept);
}

void Trainer::InitExperts(const std::vector<ExpertKey>& keys) {
  for (const ExpertKey& k : keys)
    experts_[k] = InitExpert(config_.model, config_.seed, k.first, k.second, config_.device);
}

std::vector<at::Tensor> Trainer::DenseParams() const { return model_->parameters(); }

Trainer::Moments& Trainer::MomentsOf(const std::string& name, const at::Tensor& like) {
  auto it = moments_.find(name);
  if (it == moments_.end()) {
    it = moments_.emplace(name, Moments{at::zeros_like(like.detach()), at::zeros_like(like.detach())}).first;
  }
  return it->second;
}

void Trainer::AdamUpdate(at::Tensor& param, const at::Tensor& grad, Moments& s) {
  torch::NoGradGuard no_grad;
  const double t = static_cast<double>(updates_);
  s.m.mul_(kBeta1).add_(grad, 1 - kBeta1);
  s.v.mul_(kBeta2).addcmul_(grad, grad, 1 - kBeta2);
  const double step_size =
      config_.learning_rate * std::sqrt(1 - std::pow(kBeta2, t)) / (1 - std::pow(kBeta1, t));
  param.addcdiv_(s.m, s.v.sqrt().add_(kEps), -step_size);
}

StepOutcome Trainer::Step(int64_t step, const c10::intrusive_ptr<c10d::ProcessGroup>& group, int rank,
                          int world, const ReplicaPlan& plan, bool flag, bool fault_after_reduce) {
  const MoeConfig& mc = config_.model;
  const auto [begin, end] = ShardOf(config_.global_batch, rank, world);
  const at::Device device = config_.device;
  const at::Tensor tokens =
      corpus_->Rows(step * config_.global_batch + begin, end - begin, mc.context).to(device);
  const double denominator = static_cast<double>(config_.global_batch * mc.context);

  std::vector<at::Tensor> dense = DenseParams();
  for (at::Tensor& p : dense) p.mutable_grad() = at::Tensor();
  for (auto& [key, e] : experts_) {
    for (at::Tensor t : e.Tensors()) t.mutable_grad() = at::Tensor();
  }
  at::Tensor load = at::zeros({mc.layers, mc.experts}, at::device(device).dtype(at::kLong));
  StepOutcome out;
  at::Tensor loss;
  if (group) {
    DispatchedExperts runner(group, rank, world, plan, &experts_);
    loss = model_->Loss(tokens, runner, denominator, &load);
    loss.backward();
    out.rows_sent = runner.rows_sent();
  } else {
    LocalExperts runner(&experts_);
    loss = model_->Loss(tokens, runner, denominator, &load);
    loss.backward();
  }

  // One buffer, one all-reduce: dense grads | all experts' grads | loss | flag | load.
  std::vector<at::Tensor> parts;
  for (const at::Tensor& p : dense) parts.push_back(GradOrZeros(p));
  const int64_t per_expert = ExpertBufferSize() / 3;
  for (int64_t l = 0; l < mc.layers; ++l) {
    for (int64_t e = 0; e < mc.experts; ++e) {
      auto it = experts_.find({l, e});
      if (it == experts_.end()) {
        parts.push_back(at::zeros({per_expert}, at::device(device)));
      } else {
        for (const at::Tensor& t : it->second.Tensors()) parts.push_back(GradOrZeros(t));
      }
    }
  }
  parts.push_back(loss.detach().reshape({1}).to(at::kFloat));  // no host sync
  parts.push_back(at::full({1}, flag ? 1.0f : 0.0f, at::device(device)));
  parts.push_back(load.reshape({-1}).to(at::kFloat));
  at::Tensor buffer = at::cat(parts);
  if (group) {
    std::vector<at::Tensor> io = {buffer};
    group->allreduce(io)->wait();
    if (fault_after_reduce)
      throw std::runtime_error(
          absl::StrCat("injected fault: step ", step, "'s all-reduce counted as failed"));
  }

  Update(step, buffer);
  const int64_t offset = buffer.numel() - 2 - mc.layers * mc.experts;  // loss | flag | load
  const at::Tensor tail = buffer.slice(0, offset).cpu();               // one copy back
  out.loss = tail[0].item<double>();
  out.any_flag = tail[1].item<double>() > 0.5;
  out.load = tail.slice(0, 2).round().to(at::kLong).view({mc.layers, mc.experts});
  out.gate_margin = model_->last_gate_margin().item<double>();
  return out;
}

int64_t Trainer::ReducedBufferSize() const {
  const MoeConfig& mc = config_.model;
  int64_t size = 0;
  for (const at::Tensor& p : DenseParams()) size += p.numel();
  return size + mc.layers * mc.experts * (ExpertBufferSize() / 3) + 2 + mc.layers * mc.experts;
}

absl::Status Trainer::ApplyReduced(int64_t step, const at::Tensor& reduced) {
  if (reduced.numel() != ReducedBufferSize()) {
    return absl::InvalidArgumentError(
        absl::StrCat("summed gradients have ", reduced.numel(), " values, want ", ReducedBufferSize()));
  }
  Update(step, reduced.to(config_.device));
  return absl::OkStatus();
}

void Trainer::Update(int64_t step, const at::Tensor& reduced) {
  const MoeConfig& mc = config_.model;
  const int64_t per_expert = ExpertBufferSize() / 3;
  ++updates_;
  int64_t offset = 0;
  for (const auto& item : model_->named_parameters()) {
    at::Tensor param = item.value();
    const at::Tensor g = reduced.slice(0, offset, offset + param.numel()).view(param.sizes());
    AdamUpdate(param, g, MomentsOf(item.key(), param));
    offset += param.numel();
  }
  for (int64_t l = 0; l < mc.layers; ++l) {
    for (int64_t e = 0; e < mc.experts; ++e) {
      auto it = experts_.find({l, e});
      if (it == experts_.end()) {
        offset += per_expert;
        continue;
      }
      std::vector<at::Tensor> tensors = it->second.Tensors();
      for (size_t i = 0; i < tensors.size(); ++i) {
        const at::Tensor g = reduced.slice(0, offset, offset + tensors[i].numel()).view(tensors[i].sizes());
        AdamUpdate(tensors[i], g, MomentsOf(absl::StrCat(ExpertName({l, e}), ".", i), tensors[i]));
        offset += tensors[i].numel();
      }
    }
  }
  last_reduced_ = reduced;
  last_reduced_step_ = step;
}

at::Tensor Trainer::PackDense() const {
  auto* self = const_cast<Trainer*>(this);
  std::vector<at::Tensor> parts;
  std::vector<at::Tensor> ms, vs;
  for (const auto& item : model_->named_parameters()) {
    parts.push_back(item.value());
    Moments& s = self->MomentsOf(item.key(), item.value());
    ms.push_back(s.m);
    vs.push_back(s.v);
  }
  parts.insert(parts.end(), ms.begin(), ms.end());
  parts.insert(parts.end(), vs.begin(), vs.end());
  parts.push_back(at::full({1}, static_cast<float>(updates_), at::device(config_.device)));
  return Flat(parts, config_.device);
}

absl::Status Trainer::UnpackDense(const at::Tensor& buffer) {
  std::vector<at::Tensor> params, ms, vs;
  for (const auto& item : model_->named_parameters()) {
    params.push_back(item.value());
    Moments& s = MomentsOf(item.key(), item.value());
    ms.push_back(s.m);
    vs.push_back(s.v);
  }
  int64_t need = 1;
  for (const at::Tensor& p : params) need += 3 * p.numel();
  if (buffer.numel() != need) {
    return absl::InvalidArgumentError(
        absl::StrCat("dense state has ", buffer.numel(), " values, want ", need));
  }
  int64_t offset = Scatter(buffer, 0, params);
  offset = Scatter(buffer, offset, ms);
  offset = Scatter(buffer, offset, vs);
  updates_ = static_cast<int64_t>(std::llround(buffer[offset].item<double>()));
  return absl::OkStatus();
}

int64_t Trainer::ExpertBufferSize() const {
  const MoeConfig& c = config_.model;
  return 3 * (2 * c.width * c.expert_hidden + c.width + c.expert_hidden);
}

at::Tensor Trainer::PackExpert(const ExpertKey& key) const {
  auto* self = const_cast<Trainer*>(this);
  const std::vector<at::Tensor> tensors = experts_.at(key).Tensors();
  std::vector<at::Tensor> parts = tensors, vs;
  for (size_t i = 0; i < tensors.size(); ++i) {
    Moments& s = self->MomentsOf(absl::StrCat(ExpertName(key), ".", i), tensors[i]);
    parts.push_back(s.m);
    vs.push_back(s.v);
  }
  parts.insert(parts.end(), vs.begin(), vs.end());
  return Flat(parts, config_.device);
}

void Trainer::UnpackExpert(const ExpertKey& key, const at::Tensor& buffer) {
  if (!experts_.count(key)) {
    experts_[key] = InitExpert(config_.model, config_.seed, key.first, key.second, config_.device);
  }
  std::vector<at::Tensor> tensors = experts_.at(key).Tensors(), ms, vs;
  for (size_t i = 0; i < tensors.size(); ++i) {
    Moments& s = MomentsOf(absl::StrCat(ExpertName(key), ".", i), tensors[i]);
    ms.push_back(s.m);
    vs.push_back(s.v);
  }
  int64_t offset = Scatter(buffer, 0, tensors);
  offset = Scatter(buffer, offset, ms);
  Scatter(buffer, offset, vs);
}

tensor::Checkpoint Trainer::ToCheckpoint(const std::map<ExpertKey, at::Tensor>& all_expert_buffers) const {
  tensor::Checkpoint c;
  c.tensors.push_back({"dense", PackDense().cpu()});
  for (const auto& [key, buffer] : all_expert_buffers) {
    c.tensors.push_back({"expert." + ExpertName(key), buffer.cpu()});
  }
  c.metadata["updates"] = updates_;
  return c;
}

absl::Status Trainer::FromCheckpoint(const tensor::Checkpoint& checkpoint,
                                     const std::vector<ExpertKey>& keys) {
  const std::map<std::string, at::Tensor> tensors(checkpoint.tensors.begin(), checkpoint.tensors.end());
  auto dense = tensors.find("dense");
  if (dense == tensors.end()) return absl::InvalidArgumentError("checkpoint has no dense state");
  if (absl::Status s = UnpackDense(dense->second); !s.ok()) return s;
  experts_.clear();
  for (const ExpertKey& k : keys) {
    auto it = tensors.find("expert." + ExpertName(k));
    if (it == tensors.end() || it->second.numel() != ExpertBufferSize()) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint lacks expert ", ExpertName(k)));
    }
    UnpackExpert(k, it->second);
  }
  last_reduced_ = at::Tensor();
  last_reduced_step_ = -1;
  return absl::OkStatus();
}

at::Tensor Trainer::DenseParameters() const { return Flat(DenseParams(), config_.device); }

}  // namespace warden::lazarus
