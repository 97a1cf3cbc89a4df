// The client's side of REaaS (docs/specs/reaas.md §2): downstream classifiers
// g on feature vectors, their feature-space certified radius R′, and the
// end-to-end certification of g∘f through the service.
//
//  base classifier (BC)  linear head: the exact ℓ2 distance to the decision
//                        boundary, min_{j≠c} (z_c − z_j) / ‖w_c − w_j‖;
//                        MLP: the Lipschitz margin min_j (z_c − z_j) / (√2 L_g),
//                        L_g = Π ‖W_l‖₂ (Tsuzuku et al. 2018);
//  smoothed (SC)         randomized smoothing in feature space through
//                        components/smoothing (g trained with feature noise),
//                        all n0 + n samples drawn around the stored f(x).
// REaaS turns R′ into an input radius with one F2IPerturb call: 2 queries per
// input. SEaaS — input-space smoothing of g∘f through the Feature-API alone —
// costs n0 + n queries per input.
#ifndef WARDEN_COMPONENTS_REAAS_DOWNSTREAM_H_
#define WARDEN_COMPONENTS_REAAS_DOWNSTREAM_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "components/reaas/client.h"
#include "components/smoothing/sampler.h"

namespace warden::reaas {

// A linear head (hidden = 0) or a one-hidden-layer ReLU MLP on features.
struct DownstreamHead {
  at::Tensor w1, b1, w2, b2;  // w2/b2 undefined for a linear head
  bool mlp() const { return w2.defined(); }
  at::Tensor Logits(const at::Tensor& features) const;  // N × d → N × C
};

struct HeadConfig {
  int64_t hidden = 0;  // 0: linear
  int64_t epochs = 30;
  int64_t batch_size = 128;
  double learning_rate = 1e-2;  // Adam
  double feature_noise = 0;     // σ of Gaussian augmentation in feature space (for SC)
  uint64_t seed = 0;
};

// Trains a head on features (N × d) and labels (N int64 in [0, classes)).
absl::StatusOr<DownstreamHead> TrainHead(const at::Tensor& features, const at::Tensor& labels,
                                         int64_t classes, const HeadConfig& config);

struct FeatureCertificate {
  int64_t label = -1;  // -1: abstained
  double radius = 0;   // feature-space ℓ2 radius R′ (0 when abstaining)
};

// BC: the closed form (linear) or the Lipschitz margin (MLP) per row.
std::vector<FeatureCertificate> CertifyBase(const DownstreamHead& head, const at::Tensor& features);

// SC: CERTIFY of the head smoothed with N(0, σ² I) in feature space; input i
// uses noise stream i of options.seed.
absl::StatusOr<std::vector<FeatureCertificate>> CertifySmoothedHead(
    const DownstreamHead& head, const at::Tensor& features, const smoothing::SmoothingOptions& options);

struct EndToEnd {
  std::vector<int64_t> labels;  // predicted (-1: abstained)
  std::vector<double> radius;   // input-space ℓ2 radius (0 when abstaining)
  int64_t queries = 0;          // API calls counted by images: Features images + F2IPerturb calls
  int64_t bytes_sent = 0;       // serialized request bytes
  double seconds = 0;
};

enum class ClientMode { kBase, kSmoothed };

// REaaS: per image, one Feature-API call, R′ from the head (BC or SC), one
// F2IPerturb call by `method`. images N × 1 × S × S.
absl::StatusOr<EndToEnd> CertifyWithReaas(ReaasClient& client, const DownstreamHead& head,
                                          const at::Tensor& images, ClientMode mode,
                                          const smoothing::SmoothingOptions& smoothing, F2IMethod method,
                                          const std::function<void(int64_t, int64_t)>& progress = {});

// SEaaS: Cohen's CERTIFY of g∘f with noise in input space, every noisy image
// sent through the Feature-API in batches of options.batch_size.
absl::StatusOr<EndToEnd> CertifyWithSeaas(ReaasClient& client, const DownstreamHead& head,
                                          const at::Tensor& images,
                                          const smoothing::SmoothingOptions& options,
                                          const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace warden::reaas

#endif  // WARDEN_COMPONENTS_REAAS_DOWNSTREAM_H_
