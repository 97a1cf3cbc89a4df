// The REaaS service (docs/specs/reaas.md §1): a gRPC server exposing the
// robust encoder's Feature-API (batched, and batched again across clients)
// and F2IPerturb-API, with health and metrics.
//
// Every call needs an API key ("x-api-key" metadata): an unknown key gets
// UNAUTHENTICATED; a key over its rate (token bucket) or its quota (requests
// in all) gets RESOURCE_EXHAUSTED, as does a message over the size limit
// (gRPC's own check). Malformed input — a shape other than the encoder's, a
// pixel count that does not match, NaN or Inf, a negative or non-finite
// radius — gets INVALID_ARGUMENT. TLS (a certificate and key in PEM) keeps
// keys off the wire in the clear; plaintext only when asked for explicitly.
// Shutdown is graceful: accepted requests finish, new ones are refused.
#ifndef WARDEN_COMPONENTS_REAAS_SERVICE_H_
#define WARDEN_COMPONENTS_REAAS_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/reaas/encoder.h"

namespace warden::reaas {

struct ApiKey {
  std::string key;
  double rate = 100;   // requests per second, refilled continuously
  double burst = 200;  // bucket size
  int64_t quota = -1;  // requests in all; < 0: unlimited
};

// One key per line: `KEY [RATE [BURST [QUOTA]]]`; `#` starts a comment.
// InvalidArgument naming the line for a bad number or a repeated key, or
// when no key is given.
absl::StatusOr<std::vector<ApiKey>> ParseApiKeys(const std::string& text);
absl::StatusOr<std::vector<ApiKey>> LoadApiKeys(const std::string& path);

struct ServerConfig {
  std::string address = "127.0.0.1:0";  // port 0: any free port
  std::string tls_cert, tls_key;        // PEM file paths; both empty = plaintext
  bool allow_plaintext = false;         // plaintext must be asked for
  std::vector<ApiKey> keys;
  int64_t max_request_bytes = 4 << 20;
  int64_t max_batch = 256;       // images per encoder pass of the feature batcher
  double batch_window_ms = 1.0;  // how long the batcher waits to fill a pass
};

struct MethodStats {
  std::string method;
  int64_t requests = 0, errors = 0, images = 0;
  double p50_ms = 0, p99_ms = 0;
};
struct ServerStats {
  std::vector<MethodStats> methods;
  int64_t batches = 0, batched_images = 0;
};

class ReaasServer {
 public:
  // Starts serving `encoder` (its global Lipschitz bound is computed once
  // here). InvalidArgument for bad config (no keys, unreadable TLS files,
  // plaintext not allowed); Unavailable if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<ReaasServer>> Start(FoldedEncoder encoder,
                                                            const ServerConfig& config);
  ~ReaasServer();

  int port() const;
  // Stops accepting, lets accepted requests finish (up to `grace`), then
  // stops the batcher. Idempotent.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Blocks until Shutdown has finished.
  void Wait();
  ServerStats Stats() const;

  class Impl;

 private:
  explicit ReaasServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::reaas

#endif  // WARDEN_COMPONENTS_REAAS_SERVICE_H_
