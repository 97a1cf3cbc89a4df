#include "components/smoothing/sampler.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "components/tensor/random.h"
#include "components/tensor/seed.h"

namespace warden::smoothing {

absl::StatusOr<std::vector<int64_t>> SampleCounts(BaseClassifier& f, const at::Tensor& x,
                                                  int64_t num, const SmoothingOptions& options,
                                                  uint64_t input_id, SamplePhase phase) {
  if (x.dim() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one input of shape C x H x W, got [", c10::Join(", ", x.sizes()), "]"));
  }
  if (num < 0 || options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("need num >= 0 and batch_size >= 1, got ", num, " and ", options.batch_size));
  }
  c10::InferenceMode inference;
  const int64_t k = f.num_classes();
  std::vector<int64_t> counts(k, 0);
  const at::Tensor input = x.to(f.device(), at::kFloat).unsqueeze(0);
  const uint64_t input_seed = tensor::StreamSeed(options.seed, input_id);
  int64_t done = 0;
  for (uint64_t batch = 0; done < num; ++batch) {
    const int64_t size = std::min(options.batch_size, num - done);
    const uint64_t stream = (static_cast<uint64_t>(phase) << 40) | batch;
    absl::StatusOr<at::Tensor> noisy = tensor::AddGaussianNoise(
        input.expand({size, input.size(1), input.size(2), input.size(3)}), options.sigma,
        input_seed, stream);
    if (!noisy.ok()) return noisy.status();
    absl::StatusOr<at::Tensor> logits = f.Logits(*noisy);
    if (!logits.ok()) return logits.status();
    const at::Tensor batch_counts = at::bincount(logits->argmax(1), /*weights=*/{}, k).to(at::kCPU);
    const int64_t* c = batch_counts.data_ptr<int64_t>();
    for (int64_t j = 0; j < k; ++j) counts[j] += c[j];
    done += size;
  }
  return counts;
}

absl::StatusOr<CertifyResult> CertifyInput(BaseClassifier& f, const at::Tensor& x,
                                           const SmoothingOptions& options, uint64_t input_id) {
  absl::StatusOr<std::vector<int64_t>> selection =
      SampleCounts(f, x, options.n0, options, input_id, SamplePhase::kSelection);
  if (!selection.ok()) return selection.status();
  absl::StatusOr<std::vector<int64_t>> estimation =
      SampleCounts(f, x, options.n, options, input_id, SamplePhase::kEstimation);
  if (!estimation.ok()) return estimation.status();
  return Certify(*selection, *estimation, options.sigma, options.alpha);
}

absl::StatusOr<PredictResult> PredictInput(BaseClassifier& f, const at::Tensor& x,
                                           const SmoothingOptions& options, uint64_t input_id) {
  absl::StatusOr<std::vector<int64_t>> counts =
      SampleCounts(f, x, options.n, options, input_id, SamplePhase::kPrediction);
  if (!counts.ok()) return counts.status();
  return Predict(*counts, options.alpha);
}

}  // namespace warden::smoothing
