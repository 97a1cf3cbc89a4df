#include "components/secure_learning/smoothed.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "components/smoothing/mnist_cnn.h"

namespace warden::secure_learning {
namespace {

// normalize(φ(x)) → linear head; φ stays in eval mode and outside autograd.
class FrozenEncoderHeadImpl : public torch::nn::Module {
 public:
  FrozenEncoderHeadImpl(Encoder encoder, int64_t classes)
      : encoder_(std::move(encoder)),
        head_(register_module("head", torch::nn::Linear(encoder_->shape().feature_dim, classes))) {
    encoder_->eval();
  }
  at::Tensor forward(const at::Tensor& pixels) {
    at::Tensor features;
    {
      torch::NoGradGuard frozen;
      features = torch::nn::functional::normalize(encoder_->forward(pixels),
                                                  torch::nn::functional::NormalizeFuncOptions().dim(1));
    }
    return head_->forward(features);
  }

 private:
  Encoder encoder_;
  torch::nn::Linear head_;
};
TORCH_MODULE(FrozenEncoderHead);

}  // namespace

absl::StatusOr<std::unique_ptr<smoothing::BaseClassifier>> TrainSmoothingBase(
    const Encoder* encoder, const at::Tensor& images, const at::Tensor& labels, int64_t classes,
    const smoothing::TrainConfig& config,
    const std::function<void(int64_t, int64_t, int64_t, double)>& progress) {
  if (images.dim() != 4 || images.size(1) != 1 || classes < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("need N x 1 x H x W images and classes >= 2, got ", images.dim(), " dims"));
  }
  torch::manual_seed(config.seed);  // the head's / CNN's initialisation
  if (encoder == nullptr) {
    if (classes != 10) return absl::InvalidArgumentError("the pixel CNN has 10 classes");
    smoothing::MnistCnn cnn;
    cnn->train();
    absl::StatusOr<std::vector<double>> loss = smoothing::TrainWithGaussianNoise(
        cnn->parameters(), [&](const at::Tensor& x) { return cnn->forward(x); }, images, labels, config,
        progress);
    if (!loss.ok()) return loss.status();
    cnn->eval();
    return smoothing::WrapForward([cnn](const at::Tensor& x) mutable { return cnn->forward(x); }, classes,
                                  c10::Device(c10::kCPU));
  }
  FrozenEncoderHead model(*encoder, classes);
  absl::StatusOr<std::vector<double>> loss = smoothing::TrainWithGaussianNoise(
      model->parameters(), [&](const at::Tensor& x) { return model->forward(x); }, images, labels, config,
      progress);
  if (!loss.ok()) return loss.status();
  return smoothing::WrapForward([model](const at::Tensor& x) mutable { return model->forward(x); }, classes,
                                c10::Device(c10::kCPU));
}

absl::StatusOr<SmoothedEvaluation> EvaluateSmoothed(smoothing::BaseClassifier& f, const at::Tensor& images,
                                                    const at::Tensor& labels,
                                                    const smoothing::SmoothingOptions& options,
                                                    const std::function<void(int64_t, int64_t)>& progress) {
  if (images.dim() != 4 || labels.dim() != 1 || labels.size(0) != images.size(0)) {
    return absl::InvalidArgumentError("need N x C x H x W images and N labels");
  }
  torch::NoGradGuard no_grad;
  SmoothedEvaluation e;
  const int64_t n = images.size(0);
  int64_t correct = 0;
  double radius_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    absl::StatusOr<smoothing::CertifyResult> r =
        smoothing::CertifyInput(f, images[i], options, static_cast<uint64_t>(i));
    if (!r.ok()) return r.status();
    const bool right = r->predicted_class == labels[i].item<int64_t>();
    correct += right;
    e.radius.push_back(right ? r->radius_l2 : -1.0);
    radius_sum += right ? r->radius_l2 : 0.0;
    if (progress) progress(i + 1, n);
  }
  e.accuracy = n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0;
  e.mean_radius = n > 0 ? radius_sum / static_cast<double>(n) : 0;
  return e;
}

}  // namespace warden::secure_learning
