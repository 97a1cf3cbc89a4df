#include "components/segattack/whitebox.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "components/smoothing/segmentation.h"

namespace warden::segattack {

absl::StatusOr<AttackResult> PgdAttack(SegNet& model, const at::Tensor& images, const at::Tensor& labels,
                                       const PgdOptions& options,
                                       const std::function<void(int64_t, const at::Tensor&)>& on_step) {
  if (absl::Status s = CheckAttackInput(images, labels, model->shape().in_channels, options.epsilon);
      !s.ok()) {
    return s;
  }
  const RadiusWeighting& w = options.weighting;
  if (options.steps < 1 || (options.radius_weighted && (w.samples < 1 || w.refresh < 1 || !(w.sigma >= 0)))) {
    return absl::InvalidArgumentError(
        "need steps >= 1, and for CR-PGD samples >= 1, refresh >= 1, sigma >= 0");
  }
  const double eta =
      options.step_size >= 0 ? options.step_size : 2.5 * options.epsilon / static_cast<double>(options.steps);
  model->eval();
  const c10::Device device = model->parameters().front().device();
  const at::Tensor x = images.to(device, at::kFloat);
  const at::Tensor y = labels.to(device, at::kLong);
  std::unique_ptr<smoothing::Segmenter> oracle = AsSegmenter(model);
  AttackResult result;
  at::Tensor x_adv = x.clone();
  at::Tensor weight;  // B × H × W, a constant between refreshes
  for (int64_t t = 0; t < options.steps; ++t) {
    if (options.radius_weighted && t % w.refresh == 0) {
      absl::StatusOr<at::Tensor> radius = smoothing::SoftPixelRadii(*oracle, x_adv, w.samples, w.sigma,
                                                                    options.seed, static_cast<uint64_t>(t));
      if (!radius.ok()) return radius.status();
      weight = RadiusWeight(*radius, w.a, w.b);
      result.cost.forward += w.samples;
    }
    at::Tensor input = x_adv.detach().requires_grad_(true);
    at::Tensor loss = PixelLoss(model->forward(input), y, options.ignore_label);
    if (weight.defined()) loss = loss * weight;
    // Each image's mean over its pixels; summed so images do not interact.
    const at::Tensor objective = loss.flatten(1).mean(1).sum();
    const at::Tensor grad = torch::autograd::grad({objective}, {input})[0];
    result.cost.forward += 1;
    result.cost.backward += 1;
    at::Tensor step;
    if (options.norm == Norm::kLinf) {
      step = grad.sign();
    } else {
      step = grad / PerImageNorm(grad, Norm::kL2).clamp_min(1e-12).view({-1, 1, 1, 1});
    }
    x_adv = Project(x_adv + eta * step, x, options.norm, options.epsilon, options.released_linf).detach();
    if (on_step) on_step(t, x_adv);
  }
  result.adversarial = x_adv;
  return result;
}

}  // namespace warden::segattack
