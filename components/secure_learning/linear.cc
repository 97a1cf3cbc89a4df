#include "components/secure_learning/linear.h"

#include <torch/torch.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "components/tensor/random.h"

namespace warden::secure_learning {
namespace {

at::Tensor WithBias(const at::Tensor& x) { return at::cat({x, at::ones({x.size(0), 1}, x.options())}, 1); }

}  // namespace

absl::Status CheckLabelledFeatures(const at::Tensor& x, const at::Tensor& y, int64_t classes) {
  if (x.dim() != 2 || !x.is_floating_point() || y.dim() != 1 || y.size(0) != x.size(0) ||
      y.scalar_type() != at::kLong) {
    return absl::InvalidArgumentError(absl::StrCat("need float features N x d and int64 labels N, got [",
                                                   c10::Join(", ", x.sizes()), "] and [",
                                                   c10::Join(", ", y.sizes()), "]"));
  }
  if (x.size(0) == 0 || classes < 2) return absl::InvalidArgumentError("need N >= 1 and classes >= 2");
  if (y.min().item<int64_t>() < 0 || y.max().item<int64_t>() >= classes) {
    return absl::InvalidArgumentError(absl::StrCat("labels must lie in [0, ", classes, ")"));
  }
  if (!x.isfinite().all().item<bool>()) return absl::InvalidArgumentError("features hold NaN or Inf");
  return absl::OkStatus();
}

HeadOptimizer::HeadOptimizer(const LinearConfig& config, const at::Tensor& weights) : config_(config) {
  if (config_.adam) {
    m_ = at::zeros_like(weights);
    v_ = at::zeros_like(weights);
  }
}

void HeadOptimizer::Step(at::Tensor& weights, const at::Tensor& gradient) {
  if (!config_.adam) {
    weights -= config_.learning_rate * gradient;
    return;
  }
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
  ++t_;
  m_.mul_(kBeta1).add_(gradient, 1 - kBeta1);
  v_.mul_(kBeta2).addcmul_(gradient, gradient, 1 - kBeta2);
  const double c1 = 1 - std::pow(kBeta1, static_cast<double>(t_)),
               c2 = 1 - std::pow(kBeta2, static_cast<double>(t_));
  // w -= lr (m / c1) / (sqrt(v / c2) + eps), with one temporary: the update
  // is memory-bound when many heads train together (bagging.cc).
  at::Tensor denominator = v_.div(c2).sqrt_().add_(kEps);
  weights.addcdiv_(m_, denominator, -config_.learning_rate / c1);
}

at::Tensor LinearHead::Logits(const at::Tensor& x) const { return WithBias(x.to(at::kFloat)).mm(weight.t()); }

at::Tensor LinearHead::Predict(const at::Tensor& x) const { return Logits(x).argmax(1); }

double LinearHead::Accuracy(const at::Tensor& x, const at::Tensor& y) const {
  return (Predict(x) == y).to(at::kDouble).mean().item<double>();
}

absl::StatusOr<LinearHead> TrainLinearHead(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                           const LinearConfig& c) {
  return ContinueLinearHead(LinearHead{}, x, y, classes, c);
}

absl::StatusOr<LinearHead> ContinueLinearHead(const LinearHead& start, const at::Tensor& x,
                                              const at::Tensor& y, int64_t classes, const LinearConfig& c) {
  if (absl::Status s = CheckLabelledFeatures(x, y, classes); !s.ok()) return s;
  if (c.steps < 0 || !(c.learning_rate > 0) || !(c.weight_decay >= 0)) {
    return absl::InvalidArgumentError("need steps >= 0, learning_rate > 0 and weight_decay >= 0");
  }
  if (start.weight.defined() &&
      (start.weight.dim() != 2 || start.weight.size(0) != classes || start.weight.size(1) != x.size(1) + 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the starting head must be ", classes, " x ", x.size(1) + 1));
  }
  torch::NoGradGuard no_grad;
  const at::Tensor xb = WithBias(x.to(at::kFloat));
  const at::Tensor onehot = torch::one_hot(y, classes).to(at::kFloat);
  const auto n = static_cast<double>(x.size(0));
  at::Tensor w =
      start.weight.defined() ? start.weight.to(at::kFloat).clone() : at::zeros({classes, xb.size(1)});
  at::Tensor decay_mask = at::ones_like(w);
  decay_mask.select(1, xb.size(1) - 1).zero_();
  HeadOptimizer optimizer(c, w);
  for (int64_t step = 0; step < c.steps; ++step) {
    const at::Tensor p = xb.mm(w.t()).softmax(1);
    optimizer.Step(w, (p - onehot).t().mm(xb) / n + c.weight_decay * w * decay_mask);
  }
  return LinearHead{w};
}

absl::StatusOr<LinearHead> TrainLinearHeadDpSgd(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                                const DpSgdConfig& c) {
  if (absl::Status s = CheckLabelledFeatures(x, y, classes); !s.ok()) return s;
  if (!(c.sampling_rate > 0 && c.sampling_rate <= 1) || !(c.noise_multiplier >= 0) || !(c.clip > 0) ||
      c.steps < 0 || !(c.learning_rate > 0)) {
    return absl::InvalidArgumentError(
        "need sampling_rate in (0, 1], noise_multiplier >= 0, clip > 0, steps >= 0, learning_rate > 0");
  }
  torch::NoGradGuard no_grad;
  const at::Tensor xb = WithBias(x.to(at::kFloat));
  const at::Tensor onehot = torch::one_hot(y, classes).to(at::kFloat);
  const at::Tensor x_norm = xb.norm(2, 1);
  const double expected_batch = c.sampling_rate * static_cast<double>(x.size(0));
  at::Tensor w = at::zeros({classes, xb.size(1)});
  at::Generator gen = tensor::MakeCpuGenerator(c.seed, 31);
  for (int64_t step = 0; step < c.steps; ++step) {
    const at::Tensor chosen = (at::rand({x.size(0)}, gen) < c.sampling_rate).nonzero().squeeze(1);
    at::Tensor sum = at::zeros_like(w);
    if (chosen.numel() > 0) {
      const at::Tensor xs = xb.index_select(0, chosen);
      const at::Tensor residual = xs.mm(w.t()).softmax(1) - onehot.index_select(0, chosen);  // p - e_y
      const at::Tensor norms = residual.norm(2, 1) * x_norm.index_select(0, chosen);
      const at::Tensor scale = (c.clip / norms.clamp_min(1e-12)).clamp_max(1.0);
      sum = (residual * scale.unsqueeze(1)).t().mm(xs);
    }
    const at::Tensor noise = at::randn(w.sizes(), gen) * (c.noise_multiplier * c.clip);
    w -= c.learning_rate * (sum + noise) / expected_batch;
  }
  return LinearHead{w};
}

}  // namespace warden::secure_learning
