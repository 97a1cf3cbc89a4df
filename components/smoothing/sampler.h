// Monte-Carlo sampling of the smoothed classifier: batches of x + σ·N(0, I)
// through the base classifier, counted per class (spec §5), and the PREDICT and
// CERTIFY procedures built on those counts (certify_core.h).
//
// Deterministic: the noise of input `input_id` comes from its own stream of the
// seed (components/tensor/seed.h), split by phase (selection, estimation,
// prediction) and by batch, so results do not depend on which inputs ran
// before or on thread scheduling.
#ifndef WARDEN_COMPONENTS_SMOOTHING_SAMPLER_H_
#define WARDEN_COMPONENTS_SMOOTHING_SAMPLER_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/smoothing/base_classifier.h"
#include "components/smoothing/certify_core.h"

namespace warden::smoothing {

enum class SamplePhase : uint64_t { kSelection = 0, kEstimation = 1, kPrediction = 2 };

// Arithmetic of the base classifier's forward pass. kBf16 runs it under
// autocast to bfloat16 (CPU or CUDA): counts may differ from fp32 on samples
// near a decision boundary, so a certificate is one of the bf16 classifier.
// kTf32 lets CUDA matmuls and convolutions use TF32 (no effect on a CPU).
enum class Precision { kFp32, kBf16, kTf32 };
absl::StatusOr<Precision> ParsePrecision(const std::string& name);  // "fp32", "bf16", "tf32"

struct SmoothingOptions {
  double sigma = 0.25;
  int64_t n0 = 100;    // selection samples (CERTIFY)
  int64_t n = 100000;  // estimation samples (CERTIFY) or samples (PREDICT)
  double alpha = 0.001;
  int64_t batch_size = 1000;
  uint64_t seed = 0;
  Precision precision = Precision::kFp32;
};

// Counts of f's predictions on `num` noisy copies of `x` (one input, C × H × W,
// raw pixels). InvalidArgument for a bad shape, num < 0 or batch_size < 1.
// Noise, argmax and counts stay on f's device: each batch's predictions are
// added into a device-side count vector (index_add_, whose output size does
// not depend on the data, unlike bincount, which must sync with the host), and
// the counts come back once per call.
absl::StatusOr<std::vector<int64_t>> SampleCounts(BaseClassifier& f, const at::Tensor& x, int64_t num,
                                                  const SmoothingOptions& options, uint64_t input_id,
                                                  SamplePhase phase);

// CERTIFY (Cohen et al., Alg. 1): n0 selection + n estimation samples.
absl::StatusOr<CertifyResult> CertifyInput(BaseClassifier& f, const at::Tensor& x,
                                           const SmoothingOptions& options, uint64_t input_id);

// PREDICT (Cohen et al., Alg. 1): n samples, two-sided binomial test at alpha.
absl::StatusOr<PredictResult> PredictInput(BaseClassifier& f, const at::Tensor& x,
                                           const SmoothingOptions& options, uint64_t input_id);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_SAMPLER_H_
