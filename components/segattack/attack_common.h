// What the white-box and black-box attacks share (docs/specs/cr_attack.md):
// the threat model's norms and projections, the certified-radius weight, the
// per-pixel loss, and input checks.
#ifndef WARDEN_COMPONENTS_SEGATTACK_ATTACK_COMMON_H_
#define WARDEN_COMPONENTS_SEGATTACK_ATTACK_COMMON_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warden::segattack {

enum class Norm { kLinf, kL2 };
absl::StatusOr<Norm> ParseNorm(const std::string& name);  // "linf" or "l2"
std::string NormName(Norm norm);

// Per image (dim 0), the norm of `delta` over all its other dimensions.
at::Tensor PerImageNorm(const at::Tensor& delta, Norm norm);

// The feasible image nearest the attack's step: δ = x_adv − x is clipped to
// [−ε, ε] (ℓ∞) or rescaled to ‖δ‖₂ ≤ ε per image (ℓ2), then x + δ is clamped
// to [0, 1] (which only shrinks every |δ_i|, so both bounds hold after it).
// `released_linf` reproduces the released code's ℓ∞ projection, which only
// clamps to [0, 1] and lets ‖δ‖∞ grow to T·η (spec §2.3).
at::Tensor Project(const at::Tensor& x_adv, const at::Tensor& x, Norm norm, double epsilon,
                   bool released_linf = false);

// The certified-radius weight of spec §2.1: w = 1 / (1 + exp(a·CR − b)) =
// sigmoid(b − a·CR). a = 2, b = 4 by default: w(0) ≈ 0.98, w(b/a) = 1/2.
at::Tensor RadiusWeight(const at::Tensor& radius, double a, double b);

struct RadiusWeighting {
  double a = 2, b = 4;
  int64_t samples = 8;   // N noisy copies per radius estimate
  double sigma = 0.001;  // their noise (the released code's; p̄ ≈ the clean softmax)
  int64_t refresh = 5;   // re-estimate every `refresh` iterations
};

// Per-pixel cross-entropy (B × H × W) of logits B × K × H × W against labels,
// 0 where the label is `ignore_label`.
at::Tensor PixelLoss(const at::Tensor& logits, const at::Tensor& labels, int64_t ignore_label);

// Checks a batch for an attack: images B × C × H × W float within [0, 1],
// labels B × H × W, epsilon >= 0.
absl::Status CheckAttackInput(const at::Tensor& images, const at::Tensor& labels, int64_t channels,
                              double epsilon);

// Per image, the attack's cost in passes over one image.
struct AttackCost {
  int64_t forward = 0;
  int64_t backward = 0;
};

}  // namespace warden::segattack

#endif  // WARDEN_COMPONENTS_SEGATTACK_ATTACK_COMMON_H_
