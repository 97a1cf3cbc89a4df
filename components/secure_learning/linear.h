// Linear heads (multinomial logistic regression) on features or raw pixels:
// the downstream learner of every defence in the study, trained by full-batch
// gradient descent, or privately by DP-SGD (Abadi et al. 2016) with the exact
// per-example gradient norm of a linear head. Spec:
// docs/specs/secure_learning.md §4 and §7.
//
// With x̃ = [x; 1] and p = softmax(W x̃), one example's gradient is
// (p - e_y) x̃ᵀ, whose Frobenius norm is ‖p - e_y‖₂ ‖x̃‖₂: clipping needs no
// per-sample autograd.
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_LINEAR_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_LINEAR_H_

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace warden::secure_learning {

// Weights C × (d + 1), the last column the bias.
struct LinearHead {
  at::Tensor weight;
  at::Tensor Logits(const at::Tensor& x) const;   // N × C
  at::Tensor Predict(const at::Tensor& x) const;  // N, int64 (ties: lower class)
  double Accuracy(const at::Tensor& x, const at::Tensor& y) const;
};

struct LinearConfig {
  int64_t steps = 300;          // full-batch steps
  double learning_rate = 0.05;  // on the mean loss
  double weight_decay = 1e-4;   // L2 on the weights (not the bias)
  bool adam = true;             // Adam (beta 0.9, 0.999; bias-corrected); false: plain gradient descent
};

// The update rule of LinearConfig on weights of any shape (one head, or a
// batch of heads trained together): Step(w, g) moves w against g.
class HeadOptimizer {
 public:
  HeadOptimizer(const LinearConfig& config, const at::Tensor& weights);
  void Step(at::Tensor& weights, const at::Tensor& gradient);

 private:
  LinearConfig config_;
  at::Tensor m_, v_;
  int64_t t_ = 0;
};

// The checks every learner here makes of its training data: x float N × d,
// y int64 N with labels in [0, classes), N >= 1, classes >= 2, x finite.
absl::Status CheckLabelledFeatures(const at::Tensor& x, const at::Tensor& y, int64_t classes);

// Trains a head on x (N × d, float) and labels y (N, int64 in [0, classes)).
// Deterministic: zero initialisation, full batches. InvalidArgument for
// mismatched shapes, labels out of range or N = 0.
absl::StatusOr<LinearHead> TrainLinearHead(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                           const LinearConfig& config = {});

// The same, starting from `start`'s weights (zeros when start.weight is
// undefined) with a fresh optimizer state: how SISA's stages continue from
// the previous stage's checkpoint. InvalidArgument also for a start of the
// wrong shape.
absl::StatusOr<LinearHead> ContinueLinearHead(const LinearHead& start, const at::Tensor& x,
                                              const at::Tensor& y, int64_t classes,
                                              const LinearConfig& config);

struct DpSgdConfig {
  double sampling_rate = 0.01;    // q: each example joins a step with probability q (Poisson)
  double noise_multiplier = 1.0;  // sigma: noise std is sigma · clip
  double clip = 1.0;              // C: per-example gradient norm bound
  int64_t steps = 1000;
  double learning_rate = 1.0;
  uint64_t seed = 0;
};

// DP-SGD on a linear head: Poisson sampling, exact per-example clipping, the
// sum plus N(0, sigma² C² I), divided by the expected batch q·N. The privacy
// of the run is rdp_core's DpSgdEpsilon(q, sigma, steps, delta).
absl::StatusOr<LinearHead> TrainLinearHeadDpSgd(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                                const DpSgdConfig& config);

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_LINEAR_H_
