// Pixel-wise randomized smoothing for segmentation (spec §6): a certified label
// map (SegCertify with Holm–Bonferroni, certify_core.h) and a cheap per-pixel
// radius estimate that the certified-radius-guided attacks query every few steps.
#ifndef WARDEN_COMPONENTS_SMOOTHING_SEGMENTATION_H_
#define WARDEN_COMPONENTS_SMOOTHING_SEGMENTATION_H_

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "components/smoothing/certify_core.h"

namespace warden::smoothing {

// A segmenter: raw pixels N × C × H × W to per-pixel logits N × K × H × W.
class Segmenter {
 public:
  virtual ~Segmenter() = default;
  virtual absl::StatusOr<at::Tensor> Logits(const at::Tensor& batch) = 0;
  virtual int64_t num_classes() const = 0;
  virtual c10::Device device() const = 0;
};

// Wraps a forward function; checks the logits' shape on every call.
std::unique_ptr<Segmenter> WrapSegmenter(std::function<at::Tensor(const at::Tensor&)> forward,
                                         int64_t num_classes, c10::Device device);

struct PixelSmoothingOptions {
  double sigma = 0.25;
  int64_t n = 1000;      // noisy samples
  double alpha = 0.001;  // family-wise failure probability over all pixels
  double tau = 0.75;     // a pixel certifies only if p_A > tau (>= 1/2)
  int64_t batch_size = 100;
  uint64_t seed = 0;
  PixelCorrection correction = PixelCorrection::kHolm;
};

// Per-pixel class counts (H·W × K, row-major) from options.n noisy copies of x (C × H × W).
absl::StatusOr<std::vector<int64_t>> SamplePixelCounts(Segmenter& f, const at::Tensor& x,
                                                       const PixelSmoothingOptions& options,
                                                       uint64_t input_id);

// The certified label map of x: labels and radii per pixel in row-major order.
absl::StatusOr<PixelCertificate> CertifySegmentation(Segmenter& f, const at::Tensor& x,
                                                     const PixelSmoothingOptions& options, uint64_t input_id);

// An uncertified radius estimate per pixel (H × W, float64): σ Φ⁻¹(p̂_A) where
// p̂_A is the mean softmax probability of the pixel's top class over
// `num_samples` noisy copies, clipped to [1e-6, 1 - 1e-6]. Small or negative
// values mark pixels close to flipping — what the CR attacks weight.
absl::StatusOr<at::Tensor> EstimatePixelRadii(Segmenter& f, const at::Tensor& x, int64_t num_samples,
                                              double sigma, uint64_t seed, uint64_t input_id);

// The soft radius the certified-radius-guided attacks weight pixels by
// (docs/specs/cr_attack.md §1.2, as the released attack code computes it):
// for each image of `batch` (B × C × H × W), `num_samples` copies with
// N(0, σ²) noise clipped to [0, 1]; p̄ = the mean softmax over the copies;
// CR = ReLU(Φ⁻¹(clamp(max_c p̄_c, 1e-8, 0.999998))) per pixel — no σ factor,
// no runner-up, the radius of the smoothed top-1 class whatever the label.
// B × H × W float32 on the segmenter's device, in [0, 4.61]. sigma may be 0
// (then the copies are the image). Noise from stream `stream` of `seed`.
absl::StatusOr<at::Tensor> SoftPixelRadii(Segmenter& f, const at::Tensor& batch, int64_t num_samples,
                                          double sigma, uint64_t seed, uint64_t stream);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_SEGMENTATION_H_
