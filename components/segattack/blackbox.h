// Score-based black-box attacks on a segmenter (docs/specs/cr_attack.md §3):
// the attacker sends images and sees per-pixel probabilities, nothing else,
// and every image it sends is one query against its budget (the counting
// oracle below is the only way the attacks reach the model).
//
// PBGD searches a down-sampled perturbation z (side / `scale`, nearest
// up-sampling U) with the two-point bandit estimate
//   ĝ = d / (2δ) · (L(P(U(z + δu))) − L(P(U(z − δu)))) · u,   u ~ Unif(S^{d−1}),
// steps z ← Π_{(1−α)K}(z + η·ĝ) (a sign step for ℓ∞, a unit step for ℓ2) with
// α = δ / r (the iterate projected onto the shrunk ball, as the paper's PBGD
// does; the released code comments it out), and returns the query with the
// largest unweighted loss. CR-PBGD weights L's pixels by sigmoid(b − a·CR),
// CR re-estimated at the current iterate every `refresh` rounds with
// `samples` queries. Baselines: the one-point estimate (d/δ)·L(P(U(z + δu)))·u
// and random ±ε noise.
#ifndef WARDEN_COMPONENTS_SEGATTACK_BLACKBOX_H_
#define WARDEN_COMPONENTS_SEGATTACK_BLACKBOX_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "components/segattack/attack_common.h"
#include "components/segattack/segmenter.h"
#include "components/smoothing/segmentation.h"

namespace warden::segattack {

// Wraps a segmenter and counts the images sent through it.
class QueryCounter : public smoothing::Segmenter {
 public:
  explicit QueryCounter(smoothing::Segmenter& inner) : inner_(inner) {}
  absl::StatusOr<at::Tensor> Logits(const at::Tensor& batch) override;
  int64_t num_classes() const override { return inner_.num_classes(); }
  c10::Device device() const override { return inner_.device(); }
  int64_t images() const { return images_; }

 private:
  smoothing::Segmenter& inner_;
  int64_t images_ = 0;
};

// u uniform on the unit sphere of R^d, one per row: B × d, float64.
at::Tensor RandomDirections(int64_t rows, int64_t d, at::Generator& gen);

// The two-point estimate d/(2δ)·(L⁺ − L⁻)·u per row (loss_plus, loss_minus: B).
// Unbiased for ∇ of the δ-ball-smoothed loss; ‖ĝ‖ <= d·G for G-Lipschitz L.
at::Tensor TwoPointEstimate(const at::Tensor& loss_plus, const at::Tensor& loss_minus, const at::Tensor& u,
                            double delta);
// The one-point estimate (d/δ)·L⁺·u: also unbiased, with variance ~ 1/δ².
at::Tensor OnePointEstimate(const at::Tensor& loss_plus, const at::Tensor& u, double delta);

enum class BanditMethod { kTwoPoint, kOnePoint, kRandomNoise };

struct BanditOptions {
  Norm norm = Norm::kLinf;
  double epsilon = 8.0 / 255;
  BanditMethod method = BanditMethod::kTwoPoint;
  int64_t budget = 1000;         // queries per image, every forward pass of it counted
  int64_t scale = 2;             // z lives at side / scale
  double delta = 0.01;           // exploration radius δ
  double step_size = -1;         // η; < 0: ε / 20 (ℓ∞ sign step; ℓ2: ε / scale / 20)
  bool radius_weighted = false;  // CR-PBGD
  RadiusWeighting weighting{2, 4, 16, 0.001, 100};  // refresh in rounds
  bool project_iterate = true;
  std::vector<int64_t> record_at;  // budgets at which to keep the best query so far
  int64_t ignore_label = 255;
  uint64_t seed = 0;
};

struct BanditResult {
  at::Tensor adversarial;            // the best query at the full budget
  std::vector<at::Tensor> recorded;  // the best query at each record_at budget
  int64_t queries = 0;               // per image, all counted
  int64_t rounds = 0;
};

// Attacks a batch (B × C × H × W in [0, 1], labels B × H × W); images are
// independent, each with its own budget. InvalidArgument for bad input,
// ε < 0, a budget too small for one round (>= 1 for noise, 3 for PBGD, 2 for
// one-point, plus the first radius estimate for CR-PBGD), δ <= 0, a scale
// that does not divide the image side.
absl::StatusOr<BanditResult> BanditAttack(SegNet& model, const at::Tensor& images, const at::Tensor& labels,
                                          const BanditOptions& options);

}  // namespace warden::segattack

#endif  // WARDEN_COMPONENTS_SEGATTACK_BLACKBOX_H_
