#include "components/reaas/downstream.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "components/smoothing/base_classifier.h"
#include "components/tensor/random.h"

namespace warden::reaas {
namespace {

namespace F = torch::nn::functional;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double SpectralNorm(const at::Tensor& w) {
  return at::linalg_svdvals(w.to(at::kDouble)).max().item<double>();
}

// g∘f with f behind the Feature-API: every batch of noisy images is one call.
class ServiceClassifier : public smoothing::BaseClassifier {
 public:
  ServiceClassifier(ReaasClient& client, const DownstreamHead& head, int64_t classes)
      : client_(client), head_(head), classes_(classes) {}
  absl::StatusOr<at::Tensor> Logits(const at::Tensor& batch) override {
    absl::StatusOr<at::Tensor> features = client_.Features(batch);
    if (!features.ok()) return features.status();
    images_ += batch.size(0);
    return head_.Logits(*features);
  }
  int64_t num_classes() const override { return classes_; }
  c10::Device device() const override { return c10::Device(c10::kCPU); }
  int64_t images() const { return images_; }

 private:
  ReaasClient& client_;
  const DownstreamHead& head_;
  int64_t classes_;
  int64_t images_ = 0;
};

}  // namespace

at::Tensor DownstreamHead::Logits(const at::Tensor& features) const {
  const at::Tensor h = features.to(at::kFloat).mm(w1.t()) + b1;
  return mlp() ? h.relu().mm(w2.t()) + b2 : h;
}

absl::StatusOr<DownstreamHead> TrainHead(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                         const HeadConfig& c) {
  if (x.dim() != 2 || x.size(0) < 1 || y.dim() != 1 || y.size(0) != x.size(0) ||
      y.scalar_type() != at::kLong || classes < 2 || y.min().item<int64_t>() < 0 ||
      y.max().item<int64_t>() >= classes) {
    return absl::InvalidArgumentError(
        absl::StrCat("need features N x d and N int64 labels in [0, ", classes, "), classes >= 2"));
  }
  if (c.hidden < 0 || c.epochs < 1 || c.batch_size < 1 || !(c.learning_rate > 0) || !(c.feature_noise >= 0)) {
    return absl::InvalidArgumentError(
        "need hidden >= 0, epochs, batch_size >= 1, learning_rate > 0, noise >= 0");
  }
  at::Generator gen = tensor::MakeCpuGenerator(c.seed, 81);
  const int64_t d = x.size(1), first = c.hidden > 0 ? c.hidden : classes;
  DownstreamHead head;
  head.w1 = (at::randn({first, d}, gen) / std::sqrt(static_cast<double>(d))).requires_grad_(true);
  head.b1 = at::zeros({first}).requires_grad_(true);
  std::vector<at::Tensor> params = {head.w1, head.b1};
  if (c.hidden > 0) {
    head.w2 =
        (at::randn({classes, c.hidden}, gen) / std::sqrt(static_cast<double>(c.hidden))).requires_grad_(true);
    head.b2 = at::zeros({classes}).requires_grad_(true);
    params.push_back(head.w2);
    params.push_back(head.b2);
  }
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(c.learning_rate));
  const at::Tensor features = x.to(at::kFloat);
  const int64_t n = x.size(0);
  for (int64_t epoch = 0; epoch < c.epochs; ++epoch) {
    const at::Tensor order = at::randperm(n, gen);
    for (int64_t start = 0; start < n; start += c.batch_size) {
      const at::Tensor idx = order.slice(0, start, start + c.batch_size);
      at::Tensor batch = features.index_select(0, idx);
      if (c.feature_noise > 0)
        batch = batch + at::randn(batch.sizes(), gen) * c.feature_noise;  // fresh every batch
      const at::Tensor loss = F::cross_entropy(head.Logits(batch), y.index_select(0, idx));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
  }
  for (at::Tensor* t : {&head.w1, &head.b1, &head.w2, &head.b2}) {
    if (t->defined()) *t = t->detach().clone();
  }
  return head;
}

std::vector<FeatureCertificate> CertifyBase(const DownstreamHead& head, const at::Tensor& features) {
  torch::NoGradGuard no_grad;
  const at::Tensor z = head.Logits(features).to(at::kDouble);
  const int64_t classes = z.size(1);
  const double mlp_lipschitz =
      head.mlp() ? std::sqrt(2.0) * SpectralNorm(head.w1) * SpectralNorm(head.w2) : 0;
  const at::Tensor w = head.w1.to(at::kDouble);
  std::vector<FeatureCertificate> out;
  for (int64_t i = 0; i < z.size(0); ++i) {
    const int64_t c = z[i].argmax().item<int64_t>();
    double radius = std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < classes; ++j) {
      if (j == c) continue;
      const double margin = (z[i][c] - z[i][j]).item<double>();
      const double scale = head.mlp() ? mlp_lipschitz : (w[c] - w[j]).norm().item<double>();
      if (scale > 0)
        radius = std::min(radius, margin / scale);
      else if (margin <= 0)
        radius = 0;
    }
    out.push_back({c, std::isinf(radius) ? 0.0 : std::max(radius, 0.0)});
  }
  return out;
}

absl::StatusOr<std::vector<FeatureCertificate>> CertifySmoothedHead(
    const DownstreamHead& head, const at::Tensor& features, const smoothing::SmoothingOptions& options) {
  if (features.dim() != 2) return absl::InvalidArgumentError("need features N x d");
  const int64_t classes = head.mlp() ? head.w2.size(0) : head.w1.size(0);
  std::unique_ptr<smoothing::BaseClassifier> g =
      smoothing::WrapForward([&head](const at::Tensor& batch) { return head.Logits(batch.flatten(1)); },
                             classes, c10::Device(c10::kCPU));
  std::vector<FeatureCertificate> out;
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < features.size(0); ++i) {
    // The sampler takes C × H × W inputs: a feature vector is d × 1 × 1.
    absl::StatusOr<smoothing::CertifyResult> r =
        smoothing::CertifyInput(*g, features[i].view({-1, 1, 1}), options, static_cast<uint64_t>(i));
    if (!r.ok()) return r.status();
    out.push_back({r->predicted_class, r->radius_l2});
  }
  return out;
}

absl::StatusOr<EndToEnd> CertifyWithReaas(ReaasClient& client, const DownstreamHead& head,
                                          const at::Tensor& images, ClientMode mode,
                                          const smoothing::SmoothingOptions& smoothing, F2IMethod method,
                                          const std::function<void(int64_t, int64_t)>& progress) {
  if (images.dim() != 4) return absl::InvalidArgumentError("need images N x 1 x S x S");
  const auto start = std::chrono::steady_clock::now();
  const int64_t bytes_before = client.bytes_sent(), calls_before = client.calls();
  EndToEnd out;
  for (int64_t i = 0; i < images.size(0); ++i) {
    absl::StatusOr<at::Tensor> feature = client.Features(images.slice(0, i, i + 1));
    if (!feature.ok()) return feature.status();
    FeatureCertificate cert;
    if (mode == ClientMode::kBase) {
      cert = CertifyBase(head, *feature).front();
    } else {
      smoothing::SmoothingOptions o = smoothing;
      o.seed = smoothing.seed + static_cast<uint64_t>(i);  // input i's own stream
      absl::StatusOr<std::vector<FeatureCertificate>> c = CertifySmoothedHead(head, *feature, o);
      if (!c.ok()) return c.status();
      cert = c->front();
    }
    double radius = 0;
    if (cert.label >= 0 && cert.radius > 0) {
      absl::StatusOr<F2IPerturbAnswer> answer = client.F2IPerturb(images[i], cert.radius, method);
      if (!answer.ok()) return answer.status();
      radius = answer->radius;
    }
    out.labels.push_back(cert.label);
    out.radius.push_back(radius);
    if (progress) progress(i + 1, images.size(0));
  }
  out.queries = client.calls() - calls_before;
  out.bytes_sent = client.bytes_sent() - bytes_before;
  out.seconds = SecondsSince(start);
  return out;
}

absl::StatusOr<EndToEnd> CertifyWithSeaas(ReaasClient& client, const DownstreamHead& head,
                                          const at::Tensor& images,
                                          const smoothing::SmoothingOptions& options,
                                          const std::function<void(int64_t, int64_t)>& progress) {
  if (images.dim() != 4) return absl::InvalidArgumentError("need images N x 1 x S x S");
  const auto start = std::chrono::steady_clock::now();
  const int64_t bytes_before = client.bytes_sent();
  const int64_t classes = head.mlp() ? head.w2.size(0) : head.w1.size(0);
  ServiceClassifier f(client, head, classes);
  EndToEnd out;
  for (int64_t i = 0; i < images.size(0); ++i) {
    absl::StatusOr<smoothing::CertifyResult> r =
        smoothing::CertifyInput(f, images[i], options, static_cast<uint64_t>(i));
    if (!r.ok()) return r.status();
    out.labels.push_back(r->predicted_class);
    out.radius.push_back(r->radius_l2);
    if (progress) progress(i + 1, images.size(0));
  }
  out.queries = f.images();
  out.bytes_sent = client.bytes_sent() - bytes_before;
  out.seconds = SecondsSince(start);
  return out;
}

}  // namespace warden::reaas
