// F2IPerturb: the input-space radius R such that every ‖δ‖₂ < R moves the
// encoder's features by less than a client's feature-space radius R′
// (REaaS, NDSS 2023). Spec: docs/specs/reaas.md §3, options 1–3.
//
//  (a) Global Lipschitz: R = R′ / L with L = Π_l ‖W̃_l‖₂, each layer's
//      operator norm at the real input size (zero padding, stride) by power
//      iteration on the map and its adjoint. Power iteration approaches the
//      norm from below: we iterate until the estimate moves by < 1e-7
//      relatively and inflate it by kNormMargin, which makes the product an
//      upper bound for any practical purpose, not a proof.
//  (b) Local bound propagation: for a candidate r, bounds on every layer's
//      pre-activations over the ball — the first layer's exactly
//      (r·‖row‖₂ per output), the others by interval arithmetic through ReLU
//      (Relaxation::kInterval) or, tighter, by back-substituting each
//      neuron's linear bound through the ReLUs' linear relaxations to the
//      input (Relaxation::kLinear, CROWN: Zhang et al., NeurIPS 2018, the
//      family of bounds the REaaS paper uses; intersected with the
//      intervals) — give a box around f(x+δ) and so U_box(r) ≥
//      max ‖f(x+δ) − f(x)‖₂; the neurons they prove dead give a local
//      Lipschitz constant L(r) = ‖W̃_1‖ Π_{l≥2} ‖W̃_l M_{l−1}(r)‖ (M masks
//      the dead inputs: every Jacobian on the ball is W̃_L D_{L−1} ⋯ D_1 W̃_1
//      with 0 ≤ D ≤ M). U(r) = min(U_box(r), L(r)·r); a search (doubling,
//      then bisection) returns the largest r it verified with
//      U(r) ≤ R′(1 − 1e-6), never below (a)'s radius. Every returned radius
//      was verified directly, so soundness does not rest on U's monotonicity.
//  (c) PGD on ‖f(x+δ) − f(x)‖₂ over the ℓ2 ball, with a search over r:
//      the smallest r at which it finds a δ reaching R′ is an upper bound on
//      the true radius. A check only, never a certificate.
#ifndef WARDEN_COMPONENTS_REAAS_BOUNDS_H_
#define WARDEN_COMPONENTS_REAAS_BOUNDS_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "components/reaas/encoder.h"

namespace warden::reaas {

// The relative margin on every power-iteration norm estimate.
inline constexpr double kNormMargin = 1e-4;
// Radii are certified for ‖f(x+δ) − f(x)‖ ≤ R′(1 − kStrict): open balls.
inline constexpr double kStrict = 1e-6;

struct PowerIteration {
  int64_t max_iterations = 500;
  double tolerance = 1e-7;  // relative change of the estimate
  uint64_t seed = 0;
};

// ‖layer.Linear ∘ diag(mask)‖₂ (mask: input-shaped 0/1, undefined = all
// ones), by power iteration from `start` (input-shaped; random if
// undefined), times (1 + kNormMargin). `vector` (if set) receives the final
// unit vector, for warm starts.
double OperatorNorm(const AffineLayer& layer, const at::Tensor& mask, const PowerIteration& options,
                    const at::Tensor& start = {}, at::Tensor* vector = nullptr);

struct LipschitzBound {
  std::vector<double> layer_norms;  // with kNormMargin
  double lipschitz = 0;             // their product
  std::vector<at::Tensor> vectors;  // each layer's top right-singular vector: warm starts for masked norms
};
LipschitzBound GlobalLipschitz(const FoldedEncoder& encoder, const PowerIteration& options = {});

// (a): R′(1 − kStrict) / L. InvalidArgument for R′ < 0 or NaN.
absl::StatusOr<double> LipschitzRadius(const LipschitzBound& bound, double feature_radius);

enum class Relaxation {
  kInterval,  // interval arithmetic through every ReLU
  kLinear,    // CROWN back-substitution, intersected with the intervals
};

struct BoundOptions {
  Relaxation relaxation = Relaxation::kLinear;
  PowerIteration power;  // for the masked norms of L(r)
  // kLinear carries m neurons' coefficients back at once, in blocks of about
  // this many floats (m × the widest layer below them, both signs).
  int64_t chunk_floats = int64_t{1} << 24;
  // kLinear carries a conv neuron's coefficients as receptive-field patches
  // (same bounds, a small fraction of the work); false: as full maps.
  bool patches = true;
  // Whether to bound the deviation by L(r)·r too (masked power iterations),
  // when the box bound alone does not verify. kAuto: with kInterval only —
  // there it gains 1.3–2.3× in radius; with kLinear it changed no radius in
  // 25 measured cases and tripled the time (docs/benchmarks.md, "REaaS").
  enum class LocalLipschitz { kAuto, kAlways, kNever };
  LocalLipschitz local_lipschitz = LocalLipschitz::kAuto;
};

struct BallBounds {
  at::Tensor lower, upper;   // per feature, over the ball
  double box_deviation;      // U_box(r): ‖max(upper − f(x), f(x) − lower)‖₂
  double local_lipschitz;    // L(r), or the global L when not computed
  double deviation() const;  // min(U_box, L(r)·r): the bound on ‖f(x+δ) − f(x)‖₂
  double radius = 0;
  int64_t unstable = 0;  // hidden ReLUs whose pre-activation bounds straddle 0
};
// Bounds for one image x (1 × S × S or 1 × 1 × S × S) and radius r ≥ 0;
// `global` (GlobalLipschitz of the encoder) serves the layers no mask changes.
// With `enough` > 0, the local Lipschitz constant is skipped (left at the
// global one) when the box bound alone is ≤ enough.
absl::StatusOr<BallBounds> BoundBall(const FoldedEncoder& encoder, const LipschitzBound& global,
                                     const at::Tensor& x, double r, const BoundOptions& options = {},
                                     double enough = 0);

struct PropagationResult {
  double radius = 0;        // the largest verified r (≥ the Lipschitz radius)
  int64_t bound_calls = 0;  // BoundBall evaluations
};
// (b). `global` is GlobalLipschitz(encoder) (cached by the caller); the
// search stops at relative width `tolerance`.
absl::StatusOr<PropagationResult> PropagationRadius(const FoldedEncoder& encoder,
                                                    const LipschitzBound& global, const at::Tensor& x,
                                                    double feature_radius, const BoundOptions& options = {},
                                                    double tolerance = 1e-3);

struct PgdOptions {
  int64_t steps = 40;
  int64_t restarts = 2;
  int64_t searches = 12;  // bisection steps over r
  uint64_t seed = 0;
};
// (c): the smallest r found with a δ, ‖δ‖₂ ≤ r, moving the features by ≥ R′
// (an upper bound on the true radius); +inf if none is found up to
// 1e3 · `start`. `start` is the search's first radius (e.g. (b)'s).
absl::StatusOr<double> PgdRadius(const FoldedEncoder& encoder, const at::Tensor& x, double feature_radius,
                                 double start, const PgdOptions& options = {});

}  // namespace warden::reaas

#endif  // WARDEN_COMPONENTS_REAAS_BOUNDS_H_
