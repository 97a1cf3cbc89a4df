#include "components/sae/sae_train.h"

#include <torch/torch.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace warden::sae {

absl::StatusOr<at::Tensor> LayerActivations(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                            const std::vector<std::string>& prompts, int64_t layer,
                                            clip::Padding padding, int context_length) {
  if (layer < 0 || layer >= model->config().num_hidden_layers) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer ", layer, " outside [0, ", model->config().num_hidden_layers, ")"));
  }
  if (prompts.empty()) return absl::InvalidArgumentError("no prompts");
  torch::NoGradGuard no_grad;
  at::Tensor captured;
  const clip::LayerHook capture = [&](int64_t i, const at::Tensor& x) {
    if (i == layer) captured = x;
    return x;
  };
  clip::ForwardPrompts(model, tokenizer, prompts, padding, capture, context_length);
  return captured.reshape({-1, captured.size(2)});
}

absl::StatusOr<SaeTrainReport> TrainSaeOnClip(TopKSae& sae, clip::ClipTextModel& model,
                                              const clip::ClipTokenizer& tokenizer,
                                              const std::vector<std::string>& prompts,
                                              const SaeTrainConfig& config,
                                              const std::function<void(int64_t, double, int64_t)>& progress,
                                              StepCollective* collective) {
  if (sae->config().d_model != model->config().hidden_size) {
    return absl::InvalidArgumentError(absl::StrCat("SAE d_model ", sae->config().d_model,
                                                   " != encoder width ", model->config().hidden_size));
  }
  if (prompts.size() < static_cast<size_t>(config.batch_prompts) || config.batch_prompts < 1 ||
      config.steps < 1 || !(config.learning_rate > 0)) {
    return absl::InvalidArgumentError("need batch_prompts >= 1 prompts, steps >= 1 and lr > 0");
  }
  const int world = collective != nullptr ? collective->world() : 1;
  const int rank = collective != nullptr ? collective->rank() : 0;
  if (config.batch_prompts < world) {
    return absl::InvalidArgumentError(
        absl::StrCat("a global batch of ", config.batch_prompts, " prompts cannot feed ", world, " ranks"));
  }
  const auto start = std::chrono::steady_clock::now();
  SaeTrainReport report;
  // Initialisation sample: b_pre = geometric median, MSE scale = 1 / variance
  // (rank 0 computes them; its parameters, these included, go to every rank).
  at::Tensor scale = at::zeros({1}, at::kDouble);
  if (rank == 0) {
    const size_t init = std::min<size_t>(prompts.size(), static_cast<size_t>(config.init_prompts));
    absl::StatusOr<at::Tensor> sample = LayerActivations(
        model, tokenizer, std::vector<std::string>(prompts.begin(), prompts.begin() + init), config.layer);
    if (!sample.ok()) return sample.status();
    at::Tensor x = *sample;
    if (x.size(0) > 32768) x = x.slice(0, 0, 32768);
    {
      torch::NoGradGuard no_grad;
      sae->b_pre.copy_(GeometricMedian(x));
    }
    scale.fill_(1.0 / (x - x.mean(0)).pow(2).mean().item<double>());
  }
  if (collective != nullptr) {
    torch::NoGradGuard no_grad;
    for (const at::Tensor& p : sae->parameters()) {
      at::Tensor data = p.detach();  // the same storage, outside autograd
      if (absl::Status s = collective->BroadcastFromRoot(data); !s.ok()) return s;
    }
    if (absl::Status s = collective->BroadcastFromRoot(scale); !s.ok()) return s;
  }
  report.mse_scale = scale.item<double>();

  torch::optim::Adam optimizer(sae->parameters(),
                               torch::optim::AdamOptions(config.learning_rate).eps(6.25e-10));
  size_t cursor = 0;
  for (int64_t step = 0; step < config.steps; ++step) {
    if (cursor + config.batch_prompts > prompts.size()) cursor = 0;
    const auto first = prompts.begin() + static_cast<std::ptrdiff_t>(cursor);
    cursor += config.batch_prompts;
    absl::StatusOr<at::Tensor> h;
    if (collective == nullptr) {
      h = LayerActivations(model, tokenizer, std::vector<std::string>(first, first + config.batch_prompts),
                           config.layer);
    } else {
      // This rank's share, padded as the whole global batch would be.
      int longest = 0;
      std::vector<std::string> share;
      for (int64_t i = 0; i < config.batch_prompts; ++i) {
        longest = std::max(longest, static_cast<int>(tokenizer.EncodeWithMarkers(first[i]).size()));
        if (i % world == rank) share.push_back(first[i]);
      }
      h = LayerActivations(model, tokenizer, share, config.layer, clip::Padding::kToContext, longest);
    }
    if (!h.ok()) return h.status();
    const double lr =
        config.learning_rate * std::min(1.0, static_cast<double>(step + 1) / config.warmup_steps);
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    absl::StatusOr<StepLosses> step_losses = TrainStep(sae, optimizer, *h, report.mse_scale, collective);
    if (!step_losses.ok()) return step_losses.status();
    const StepLosses& losses = *step_losses;
    report.tokens += losses.tokens;
    report.final_fvu = losses.fvu;
    if (step % 10 == 0 || step + 1 == config.steps) {
      report.steps.push_back(static_cast<double>(step));
      report.fvu.push_back(losses.fvu);
      report.dead.push_back(static_cast<double>(losses.dead));
      if (progress) progress(step, losses.fvu, losses.dead);
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace warden::sae
