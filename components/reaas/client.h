// A REaaS client: the two APIs (and health, metrics) over gRPC with TLS, the
// API key in every call's metadata. Server errors come back as absl::Status
// with the gRPC code (UNAUTHENTICATED, RESOURCE_EXHAUSTED, INVALID_ARGUMENT…).
#ifndef WARDEN_COMPONENTS_REAAS_CLIENT_H_
#define WARDEN_COMPONENTS_REAAS_CLIENT_H_

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "components/reaas/service.h"

namespace warden::reaas {

struct ClientConfig {
  std::string target;     // host:port; for TLS the host must match the certificate
  std::string root_cert;  // PEM file the server's certificate chains to; empty = plaintext
  std::string api_key;
  std::chrono::milliseconds deadline = std::chrono::seconds(60);
  int64_t max_reply_bytes = 64 << 20;
};

// How the server turns R′ into R (bounds.h: options (a) and (b)).
enum class F2IMethod {
  kLipschitz,         // the global Lipschitz bound: O(1), the loosest
  kIntervals,         // interval bounds + local Lipschitz, searched
  kLinearRelaxation,  // CROWN bounds + local Lipschitz, searched: the tightest
};
// "lipschitz", "intervals" or "linear"; InvalidArgument otherwise.
absl::StatusOr<F2IMethod> ParseF2IMethod(const std::string& name);

struct F2IPerturbAnswer {
  double radius = 0;
  int64_t bound_calls = 0;
  double lipschitz = 0;
};

struct ServiceInfo {
  std::string status;
  int64_t image_size = 0, feature_dim = 0;
};

class ReaasClient {
 public:
  static absl::StatusOr<std::unique_ptr<ReaasClient>> Connect(const ClientConfig& config);
  ~ReaasClient();

  // Feature-API: images N × 1 × S × S (or N × S × S) → N × d.
  absl::StatusOr<at::Tensor> Features(const at::Tensor& images);
  // F2IPerturb-API for one image and feature radius R′.
  absl::StatusOr<F2IPerturbAnswer> F2IPerturb(const at::Tensor& image, double feature_radius,
                                              F2IMethod method = F2IMethod::kLinearRelaxation);
  absl::StatusOr<ServiceInfo> Health();
  absl::StatusOr<ServerStats> Metrics();

  int64_t bytes_sent() const { return bytes_sent_; }  // serialized request bytes so far
  int64_t calls() const { return calls_; }

  class Impl;

 private:
  explicit ReaasClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int64_t bytes_sent_ = 0, calls_ = 0;
};

}  // namespace warden::reaas

#endif  // WARDEN_COMPONENTS_REAAS_CLIENT_H_
