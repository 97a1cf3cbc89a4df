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
#include "components/smoothing/precision.h"
#include "components/smoothing/sequential_core.h"

namespace warden::smoothing {

enum class SamplePhase : uint64_t { kSelection = 0, kEstimation = 1, kPrediction = 2 };

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

// The same for draws [begin, end) of the phase's sequence: sample i is always
// drawn in batch i / batch_size, so counts over consecutive ranges add up to
// SampleCounts over their union, bit for bit. `begin` must be a multiple of
// batch_size (InvalidArgument otherwise).
absl::StatusOr<std::vector<int64_t>> SampleCountsRange(BaseClassifier& f, const at::Tensor& x, int64_t begin,
                                                       int64_t end, const SmoothingOptions& options,
                                                       uint64_t input_id, SamplePhase phase);

// CERTIFY (Cohen et al., Alg. 1): n0 selection + n estimation samples.
absl::StatusOr<CertifyResult> CertifyInput(BaseClassifier& f, const at::Tensor& x,
                                           const SmoothingOptions& options, uint64_t input_id);

// Sequential certification (sequential_core.h): n0 selection samples pick ĉ_A,
// then estimation samples are drawn checkpoint by checkpoint of the doubling
// schedule from `first` to options.n until the decision is made. Its draws are
// a prefix of CertifyInput's (same seed, phase and batch size), so at the
// budget the counts are CertifyInput's.
struct SequentialOptions {
  enum class Mode { kRadius, kAdaptive };
  Mode mode = Mode::kAdaptive;
  double radius = 0.0;      // kRadius: the radius to decide
  double tolerance = 0.05;  // kAdaptive: stop when the next checkpoint gains <= this fraction
  int64_t first = 1000;     // the first checkpoint (rounded up to a multiple of the batch size)
};
// The certifier `sequential` asks for, over `schedule`, for class `top`.
// InvalidArgument for a negative radius (kRadius) or tolerance.
absl::StatusOr<SequentialCertifier> MakeCertifier(const SequentialOptions& sequential,
                                                  SequentialSchedule schedule, int top, double sigma);
absl::StatusOr<SequentialResult> CertifySequential(BaseClassifier& f, const at::Tensor& x,
                                                   const SmoothingOptions& options,
                                                   const SequentialOptions& sequential, uint64_t input_id);

// PREDICT (Cohen et al., Alg. 1): n samples, two-sided binomial test at alpha.
absl::StatusOr<PredictResult> PredictInput(BaseClassifier& f, const at::Tensor& x,
                                           const SmoothingOptions& options, uint64_t input_id);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_SAMPLER_H_
