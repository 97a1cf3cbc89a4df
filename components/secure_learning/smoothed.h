// Randomized smoothing with and without a pre-trained encoder (Cohen et al.
// 2019 through components/smoothing). Spec: docs/specs/secure_learning.md §3
// and §7 (E3).
//
// The noise is in input space in both arms, so the certified ℓ2 radius covers
// the whole pipeline:
//   pixels   a small CNN (components/smoothing's MnistCnn) trained from
//            scratch with Gaussian augmentation at the smoothing σ;
//   encoder  the frozen encoder φ with a linear head on normalize(φ(x + ε)),
//            the head trained with fresh noise every batch (the spec's
//            option (a); fine-tuning φ, option (b), is not done here).
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_SMOOTHED_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_SMOOTHED_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "components/secure_learning/encoder.h"
#include "components/smoothing/base_classifier.h"
#include "components/smoothing/sampler.h"
#include "components/smoothing/train.h"

namespace warden::secure_learning {

// A noise-trained base classifier for smoothing at config.sigma on `images`
// (N × 1 × 28 × 28 in [0, 1]) and `labels`: the pixel CNN when `encoder` is
// null, else the frozen encoder's head. `progress` as in
// smoothing::TrainWithGaussianNoise.
absl::StatusOr<std::unique_ptr<smoothing::BaseClassifier>> TrainSmoothingBase(
    const Encoder* encoder, const at::Tensor& images, const at::Tensor& labels, int64_t classes,
    const smoothing::TrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress = {});

struct SmoothedEvaluation {
  std::vector<double> radius;  // per test input: certified ℓ2 radius if correct, else -1 (wrong or abstained)
  double accuracy = 0;         // certified-and-correct at radius 0 (CERTIFY's clean accuracy)
  double mean_radius = 0;      // mean max(radius, 0): the average certified radius over all inputs
};

// CERTIFY on each test image with `options` (input i uses noise stream i);
// `progress` (if set) gets (inputs done, inputs).
absl::StatusOr<SmoothedEvaluation> EvaluateSmoothed(
    smoothing::BaseClassifier& f, const at::Tensor& images, const at::Tensor& labels,
    const smoothing::SmoothingOptions& options, const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_SMOOTHED_H_
