#include "components/segattack/attack_common.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"

namespace warden::segattack {

absl::StatusOr<Norm> ParseNorm(const std::string& name) {
  if (name == "linf") return Norm::kLinf;
  if (name == "l2") return Norm::kL2;
  return absl::InvalidArgumentError(absl::StrCat("norm must be linf or l2, not '", name, "'"));
}

std::string NormName(Norm norm) { return norm == Norm::kLinf ? "linf" : "l2"; }

at::Tensor PerImageNorm(const at::Tensor& delta, Norm norm) {
  const at::Tensor flat = delta.flatten(1);
  return norm == Norm::kLinf ? flat.abs().amax(1) : flat.norm(2, {1});
}

at::Tensor Project(const at::Tensor& x_adv, const at::Tensor& x, Norm norm, double epsilon,
                   bool released_linf) {
  at::Tensor delta = x_adv - x;
  if (norm == Norm::kLinf) {
    if (!released_linf) delta = delta.clamp(-epsilon, epsilon);
  } else {
    const at::Tensor n = PerImageNorm(delta, Norm::kL2);
    // Scale only the images outside the ball; 1e-12 keeps 0/0 away.
    const at::Tensor scale = (epsilon / n.clamp_min(1e-12)).clamp_max(1.0);
    delta = delta * scale.view({-1, 1, 1, 1});
  }
  return (x + delta).clamp(0.0, 1.0);
}

at::Tensor RadiusWeight(const at::Tensor& radius, double a, double b) { return at::sigmoid(b - a * radius); }

at::Tensor PixelLoss(const at::Tensor& logits, const at::Tensor& labels, int64_t ignore_label) {
  const at::Tensor keep = labels != ignore_label;
  const at::Tensor safe = at::where(keep, labels, at::zeros_like(labels));
  const at::Tensor nll = -logits.log_softmax(1).gather(1, safe.unsqueeze(1)).squeeze(1);
  return nll * keep.to(nll.scalar_type());
}

absl::Status CheckAttackInput(const at::Tensor& images, const at::Tensor& labels, int64_t channels,
                              double epsilon) {
  if (images.dim() != 4 || images.size(1) != channels || !images.is_floating_point()) {
    return absl::InvalidArgumentError(absl::StrCat("images must be float B x ", channels, " x H x W, got [",
                                                   c10::Join(", ", images.sizes()), "]"));
  }
  if (labels.dim() != 3 || labels.size(0) != images.size(0) || labels.size(1) != images.size(2) ||
      labels.size(2) != images.size(3)) {
    return absl::InvalidArgumentError(absl::StrCat("labels must be B x H x W matching the images, got [",
                                                   c10::Join(", ", labels.sizes()), "]"));
  }
  if (images.numel() > 0 && (images.min().item<double>() < 0 || images.max().item<double>() > 1 ||
                             !images.isfinite().all().item<bool>())) {
    return absl::InvalidArgumentError("images must lie in [0, 1]");
  }
  if (!(epsilon >= 0)) return absl::InvalidArgumentError(absl::StrCat("epsilon must be >= 0, got ", epsilon));
  return absl::OkStatus();
}

}  // namespace warden::segattack
