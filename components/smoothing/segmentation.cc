#include "components/smoothing/segmentation.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "components/smoothing/base_classifier.h"
#include "components/smoothing/stats_core.h"
#include "components/tensor/random.h"
#include "components/tensor/seed.h"

namespace warden::smoothing {
namespace {

class ForwardSegmenter : public Segmenter {
 public:
  ForwardSegmenter(std::function<at::Tensor(const at::Tensor&)> forward, int64_t num_classes,
                   c10::Device device)
      : forward_(std::move(forward)), num_classes_(num_classes), device_(device) {}

  absl::StatusOr<at::Tensor> Logits(const at::Tensor& batch) override {
    absl::StatusOr<at::Tensor> result = CallForward(forward_, batch, "segmenter");
    if (!result.ok()) return result;
    const at::Tensor& logits = *result;
    if (logits.dim() != 4 || logits.size(0) != batch.size(0) || logits.size(1) != num_classes_ ||
        logits.size(2) != batch.size(2) || logits.size(3) != batch.size(3)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "segmenter returned logits of shape [", c10::Join(", ", logits.sizes()), "], expected [",
          batch.size(0), ", ", num_classes_, ", ", batch.size(2), ", ", batch.size(3), "]"));
    }
    return logits;
  }
  int64_t num_classes() const override { return num_classes_; }
  c10::Device device() const override { return device_; }

 private:
  std::function<at::Tensor(const at::Tensor&)> forward_;
  int64_t num_classes_;
  c10::Device device_;
};

absl::Status CheckInput(const at::Tensor& x) {
  if (x.dim() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one image C x H x W, got [", c10::Join(", ", x.sizes()), "]"));
  }
  return absl::OkStatus();
}

// Runs f over `total` noisy copies of x in batches and hands each batch's logits to `consume`.
template <typename Consume>
absl::Status ForEachNoisyBatch(Segmenter& f, const at::Tensor& x, int64_t total, int64_t batch_size,
                               double sigma, uint64_t seed, uint64_t input_id, Consume consume) {
  if (absl::Status s = CheckInput(x); !s.ok()) return s;
  if (total < 1 || batch_size < 1 || !(sigma > 0)) {
    return absl::InvalidArgumentError("need n >= 1, batch_size >= 1 and sigma > 0");
  }
  const at::Tensor input = x.to(f.device(), at::kFloat).unsqueeze(0);
  const uint64_t input_seed = tensor::StreamSeed(seed, input_id);
  int64_t done = 0;
  for (uint64_t batch = 0; done < total; ++batch) {
    const int64_t size = std::min(batch_size, total - done);
    absl::StatusOr<at::Tensor> noisy = tensor::AddGaussianNoise(
        input.expand({size, input.size(1), input.size(2), input.size(3)}), sigma, input_seed, batch);
    if (!noisy.ok()) return noisy.status();
    absl::StatusOr<at::Tensor> logits = f.Logits(*noisy);
    if (!logits.ok()) return logits.status();
    consume(*logits);
    done += size;
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Segmenter> WrapSegmenter(std::function<at::Tensor(const at::Tensor&)> forward,
                                         int64_t num_classes, c10::Device device) {
  return std::make_unique<ForwardSegmenter>(std::move(forward), num_classes, device);
}

absl::StatusOr<std::vector<int64_t>> SamplePixelCounts(Segmenter& f, const at::Tensor& x,
                                                       const PixelSmoothingOptions& options,
                                                       uint64_t input_id) {
  c10::InferenceMode inference;
  const int64_t k = f.num_classes();
  at::Tensor counts;  // H·W × K
  absl::Status status = ForEachNoisyBatch(f, x, options.n, options.batch_size, options.sigma, options.seed,
                                          input_id, [&](const at::Tensor& logits) {
                                            const at::Tensor labels = logits.argmax(1).flatten(1);  // N × H·W
                                            const at::Tensor onehot =
                                                at::one_hot(labels, k).sum(0);  // H·W × K
                                            counts = counts.defined() ? counts + onehot : onehot;
                                          });
  if (!status.ok()) return status;
  const at::Tensor cpu = counts.to(at::kCPU, at::kLong).contiguous();
  return std::vector<int64_t>(cpu.data_ptr<int64_t>(), cpu.data_ptr<int64_t>() + cpu.numel());
}

absl::StatusOr<PixelCertificate> CertifySegmentation(Segmenter& f, const at::Tensor& x,
                                                     const PixelSmoothingOptions& options,
                                                     uint64_t input_id) {
  absl::StatusOr<std::vector<int64_t>> counts = SamplePixelCounts(f, x, options, input_id);
  if (!counts.ok()) return counts.status();
  std::string error;
  PixelCertificate cert = CertifyPixels(*counts, x.size(1) * x.size(2), f.num_classes(), options.sigma,
                                        options.alpha, options.tau, &error, options.correction);
  if (!error.empty()) return absl::InvalidArgumentError(error);
  return cert;
}

absl::StatusOr<at::Tensor> EstimatePixelRadii(Segmenter& f, const at::Tensor& x, int64_t num_samples,
                                              double sigma, uint64_t seed, uint64_t input_id) {
  c10::InferenceMode inference;
  at::Tensor mean_probs;  // K × H × W
  absl::Status status =
      ForEachNoisyBatch(f, x, num_samples, num_samples, sigma, seed, input_id, [&](const at::Tensor& logits) {
        const at::Tensor probs = logits.softmax(1).sum(0);
        mean_probs = mean_probs.defined() ? mean_probs + probs : probs;
      });
  if (!status.ok()) return status;
  const at::Tensor p_a = (mean_probs / static_cast<double>(num_samples))
                             .amax(0)
                             .clamp(1e-6, 1 - 1e-6)
                             .to(at::kCPU, at::kDouble)
                             .contiguous();
  at::Tensor radii = at::empty_like(p_a);
  const double* p = p_a.data_ptr<double>();
  double* r = radii.data_ptr<double>();
  for (int64_t i = 0; i < p_a.numel(); ++i) r[i] = sigma * NormalQuantile(p[i]);
  return radii;
}

absl::StatusOr<at::Tensor> SoftPixelRadii(Segmenter& f, const at::Tensor& batch, int64_t num_samples,
                                          double sigma, uint64_t seed, uint64_t stream) {
  if (batch.dim() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected images B x C x H x W, got [", c10::Join(", ", batch.sizes()), "]"));
  }
  if (num_samples < 1 || !(sigma >= 0))
    return absl::InvalidArgumentError("need num_samples >= 1 and sigma >= 0");
  c10::InferenceMode inference;
  const at::Tensor images = batch.to(f.device(), at::kFloat);
  const int64_t b = images.size(0);
  // All copies in one batch: copy j of image i at row j * B + i.
  const at::Tensor copies = images.repeat({num_samples, 1, 1, 1});
  absl::StatusOr<at::Tensor> noisy = tensor::AddGaussianNoise(copies, sigma, seed, stream);
  if (!noisy.ok()) return noisy.status();
  absl::StatusOr<at::Tensor> logits = f.Logits(noisy->clamp(0.0, 1.0));
  if (!logits.ok()) return logits.status();
  const at::Tensor mean =
      logits->softmax(1).view({num_samples, b, f.num_classes(), images.size(2), images.size(3)}).mean(0);
  const at::Tensor top = std::get<0>(mean.max(1)).clamp(1e-8, 0.999998);
  return at::relu(std::sqrt(2.0) * at::erfinv(top * 2.0 - 1.0));
}

}  // namespace warden::smoothing
