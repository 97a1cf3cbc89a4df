#include "components/smoothing/sampler.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "components/tensor/random.h"
#include "components/tensor/seed.h"

namespace warden::smoothing {
namespace {

// Autocast to bfloat16 on `device` while alive; restores the previous state.
// LibTorch 2.x takes the device type; 1.13 has one switch per device kind.
class Bf16Autocast {
 public:
  explicit Bf16Autocast(c10::DeviceType device) : device_(device) {
#if TORCH_VERSION_MAJOR >= 2
    was_enabled_ = at::autocast::is_autocast_enabled(device_);
    was_dtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_dtype(device_, at::kBFloat16);
    at::autocast::set_autocast_enabled(device_, true);
#else
    if (device_ == c10::kCUDA) {
      was_enabled_ = at::autocast::is_enabled();
      was_dtype_ = at::autocast::get_autocast_gpu_dtype();
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      was_enabled_ = at::autocast::is_cpu_enabled();
      was_dtype_ = at::autocast::get_autocast_cpu_dtype();
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
#endif
  }
  ~Bf16Autocast() {
#if TORCH_VERSION_MAJOR >= 2
    at::autocast::set_autocast_enabled(device_, was_enabled_);
    at::autocast::set_autocast_dtype(device_, was_dtype_);
#else
    if (device_ == c10::kCUDA) {
      at::autocast::set_enabled(was_enabled_);
      at::autocast::set_autocast_gpu_dtype(was_dtype_);
    } else {
      at::autocast::set_cpu_enabled(was_enabled_);
      at::autocast::set_autocast_cpu_dtype(was_dtype_);
    }
#endif
    at::autocast::clear_cache();
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  c10::DeviceType device_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kBFloat16;
};

// TF32 for CUDA matmuls and convolutions while alive.
class Tf32Scope {
 public:
  Tf32Scope() : blas_(at::globalContext().allowTF32CuBLAS()), cudnn_(at::globalContext().allowTF32CuDNN()) {
    at::globalContext().setAllowTF32CuBLAS(true);
    at::globalContext().setAllowTF32CuDNN(true);
  }
  ~Tf32Scope() {
    at::globalContext().setAllowTF32CuBLAS(blas_);
    at::globalContext().setAllowTF32CuDNN(cudnn_);
  }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;

 private:
  bool blas_, cudnn_;
};

}  // namespace

absl::StatusOr<Precision> ParsePrecision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "tf32") return Precision::kTf32;
  return absl::InvalidArgumentError(absl::StrCat("precision must be fp32, bf16 or tf32, got \"", name, "\""));
}

absl::StatusOr<std::vector<int64_t>> SampleCounts(BaseClassifier& f, const at::Tensor& x, int64_t num,
                                                  const SmoothingOptions& options, uint64_t input_id,
                                                  SamplePhase phase) {
  if (x.dim() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one input of shape C x H x W, got [", c10::Join(", ", x.sizes()), "]"));
  }
  if (num < 0 || options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("need num >= 0 and batch_size >= 1, got ", num, " and ", options.batch_size));
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
  int64_t done = 0;
  for (uint64_t batch = 0; done < num; ++batch) {
    const int64_t size = std::min(options.batch_size, num - done);
    const uint64_t stream = (static_cast<uint64_t>(phase) << 40) | batch;
    absl::StatusOr<at::Tensor> noisy = tensor::AddGaussianNoise(
        input.expand({size, input.size(1), input.size(2), input.size(3)}), options.sigma, input_seed, stream);
    if (!noisy.ok()) return noisy.status();
    absl::StatusOr<at::Tensor> logits = f.Logits(*noisy);
    if (!logits.ok()) return logits.status();
    if (logits->dim() != 2 || logits->size(0) != size || logits->size(1) != k) {
      return absl::InvalidArgumentError(absl::StrCat("the base classifier returned logits of shape [",
                                                     c10::Join(", ", logits->sizes()), "], want [", size,
                                                     ", ", k, "]"));
    }
    const at::Tensor predicted = logits->argmax(1);
    counts_on_device.index_add_(0, predicted, at::ones_like(predicted));
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

absl::StatusOr<PredictResult> PredictInput(BaseClassifier& f, const at::Tensor& x,
                                           const SmoothingOptions& options, uint64_t input_id) {
  absl::StatusOr<std::vector<int64_t>> counts =
      SampleCounts(f, x, options.n, options, input_id, SamplePhase::kPrediction);
  if (!counts.ok()) return counts.status();
  return Predict(*counts, options.alpha);
}

}  // namespace warden::smoothing
