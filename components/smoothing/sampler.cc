#include "components/smoothing/sampler.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "components/smoothing/precision.h"
#include "components/tensor/random.h"
#include "components/tensor/seed.h"

namespace warden::smoothing {

absl::StatusOr<std::vector<int64_t>> SampleCounts(BaseClassifier& f, const at::Tensor& x, int64_t num,
                                                  const SmoothingOptions& options, uint64_t input_id,
                                                  SamplePhase phase) {
  if (num < 0) return absl::InvalidArgumentError(absl::StrCat("need num >= 0, got ", num));
  return SampleCountsRange(f, x, 0, num, options, input_id, phase);
}

// On CPU a noise batch is forwarded in slices of at most this many rows, so
// no layer's output outgrows the blocks glibc keeps on the heap (32 MiB,
// tensor::InitTorchRuntime): a larger one is a fresh mmap each batch whose
// pages fault in one at a time, which this machine's paravirtualised MMU
// makes the dominant cost (the MNIST CNN at 1,000 rows: a 37 MB first
// activation, 2.5 s per input at n = 10,000 against 0.6 s in slices;
// docs/benchmarks.md). The noise, and so every count, is the batch's as before.
constexpr int64_t kCpuForwardRows = 256;

absl::StatusOr<std::vector<int64_t>> SampleCountsRange(BaseClassifier& f, const at::Tensor& x, int64_t begin,
                                                       int64_t end, const SmoothingOptions& options,
                                                       uint64_t input_id, SamplePhase phase) {
  if (x.dim() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one input of shape C x H x W, got [", c10::Join(", ", x.sizes()), "]"));
  }
  if (options.batch_size < 1 || begin < 0 || end < begin || begin % options.batch_size != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("need batch_size >= 1 and 0 <= begin <= end with begin a "
                     "multiple of batch_size, got batch_size ",
                     options.batch_size, ", range [", begin, ", ", end, ")"));
  }
  c10::InferenceMode inference;
  std::optional<Bf16Autocast> bf16;
  std::optional<Tf32Scope> tf32;
  if (options.precision == Precision::kBf16) bf16.emplace(f.device().type());
  if (options.precision == Precision::kTf32) tf32.emplace();
  const int64_t k = f.num_classes();
  const at::Tensor input = x.to(f.device(), at::kFloat).unsqueeze(0);
  at::Tensor counts_on_device = at::zeros({k}, input.options().dtype(at::kLong));
  const uint64_t input_seed = tensor::StreamSeed(options.seed, input_id);
  int64_t done = begin;
  for (auto batch = static_cast<uint64_t>(begin / options.batch_size); done < end; ++batch) {
    const int64_t size = std::min(options.batch_size, end - done);
    const uint64_t stream = (static_cast<uint64_t>(phase) << 40) | batch;
    absl::StatusOr<at::Tensor> noisy = tensor::AddGaussianNoise(
        input.expand({size, input.size(1), input.size(2), input.size(3)}), options.sigma, input_seed, stream);
    if (!noisy.ok()) return noisy.status();
    // The batch fixes the noise stream; the forward may go in slices (below).
    const int64_t rows = f.device().is_cpu() ? kCpuForwardRows : size;
    for (int64_t from = 0; from < size; from += rows) {
      const int64_t count = std::min(rows, size - from);
      absl::StatusOr<at::Tensor> logits = f.Logits(noisy->narrow(0, from, count));
      if (!logits.ok()) return logits.status();
      if (logits->dim() != 2 || logits->size(0) != count || logits->size(1) != k) {
        return absl::InvalidArgumentError(absl::StrCat("the base classifier returned logits of shape [",
                                                       c10::Join(", ", logits->sizes()), "], want [", count,
                                                       ", ", k, "]"));
      }
      const at::Tensor predicted = logits->argmax(1);
      counts_on_device.index_add_(0, predicted, at::ones_like(predicted));
    }
    done += size;
  }
  const at::Tensor host = counts_on_device.to(at::kCPU);  // the one sync of this phase
  return std::vector<int64_t>(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + k);
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

absl::StatusOr<SequentialCertifier> MakeCertifier(const SequentialOptions& sequential,
                                                  SequentialSchedule schedule, int top, double sigma) {
  if (sequential.mode == SequentialOptions::Mode::kRadius) {
    if (!(sequential.radius >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("need a radius >= 0, got ", sequential.radius));
    }
    return SequentialCertifier::AtRadius(std::move(schedule), top, sigma, sequential.radius);
  }
  if (!(sequential.tolerance >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("need a tolerance >= 0, got ", sequential.tolerance));
  }
  return SequentialCertifier::Adaptive(std::move(schedule), top, sigma, sequential.tolerance);
}

absl::StatusOr<SequentialResult> CertifySequential(BaseClassifier& f, const at::Tensor& x,
                                                   const SmoothingOptions& options,
                                                   const SequentialOptions& sequential, uint64_t input_id) {
  SequentialSchedule schedule;
  std::string error;
  if (!MakeDoublingSchedule(sequential.first, options.n, options.batch_size, options.alpha, &schedule,
                            &error)) {
    return absl::InvalidArgumentError(error);
  }
  // Validate before sampling: a bad option is an error, not n0 wasted draws.
  if (absl::StatusOr<SequentialCertifier> check = MakeCertifier(sequential, schedule, 0, options.sigma);
      !check.ok()) {
    return check.status();
  }
  absl::StatusOr<std::vector<int64_t>> selection =
      SampleCounts(f, x, options.n0, options, input_id, SamplePhase::kSelection);
  if (!selection.ok()) return selection.status();
  const int top = ArgMax(*selection);
  SequentialCertifier certifier = *MakeCertifier(sequential, std::move(schedule), top, options.sigma);
  int64_t drawn = 0, top_count = 0;
  while (!certifier.done()) {
    const int64_t want = certifier.next_samples();
    absl::StatusOr<std::vector<int64_t>> counts =
        SampleCountsRange(f, x, drawn, want, options, input_id, SamplePhase::kEstimation);
    if (!counts.ok()) return counts.status();
    top_count += (*counts)[static_cast<size_t>(top)];
    drawn = want;
    certifier.Observe(top_count);
  }
  return certifier.result();
}

absl::StatusOr<PredictResult> PredictInput(BaseClassifier& f, const at::Tensor& x,
                                           const SmoothingOptions& options, uint64_t input_id) {
  absl::StatusOr<std::vector<int64_t>> counts =
      SampleCounts(f, x, options.n, options, input_id, SamplePhase::kPrediction);
  if (!counts.ok()) return counts.status();
  return Predict(*counts, options.alpha);
}

}  // namespace warden::smoothing
