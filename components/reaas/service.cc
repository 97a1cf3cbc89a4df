#include "components/reaas/service.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "components/reaas/bounds.h"
#include "components/reaas/reaas.grpc.pb.h"

namespace warden::reaas {
namespace {

using Clock = std::chrono::steady_clock;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

grpc::Status Error(grpc::StatusCode code, const std::string& message) { return grpc::Status(code, message); }

// A token bucket and a quota per key.
class KeyLimits {
 public:
  explicit KeyLimits(const std::vector<ApiKey>& keys) {
    for (const ApiKey& k : keys) buckets_[k.key] = Bucket{k, k.burst, Clock::now(), 0};
  }
  grpc::Status Admit(const grpc::ServerContext& context) {
    const auto& metadata = context.client_metadata();
    const auto it = metadata.find("x-api-key");
    if (it == metadata.end()) return Error(grpc::StatusCode::UNAUTHENTICATED, "no x-api-key metadata");
    const std::string key(it->second.data(), it->second.size());
    std::lock_guard<std::mutex> lock(mu_);
    const auto b = buckets_.find(key);
    if (b == buckets_.end()) return Error(grpc::StatusCode::UNAUTHENTICATED, "unknown API key");
    Bucket& bucket = b->second;
    const Clock::time_point now = Clock::now();
    bucket.tokens =
        std::min(bucket.key.burst,
                 bucket.tokens + bucket.key.rate * std::chrono::duration<double>(now - bucket.last).count());
    bucket.last = now;
    if (bucket.key.quota >= 0 && bucket.used >= bucket.key.quota)
      return Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "quota exhausted for this key");
    if (bucket.tokens < 1) return Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "rate limit: retry later");
    bucket.tokens -= 1;
    ++bucket.used;
    return grpc::Status::OK;
  }

 private:
  struct Bucket {
    ApiKey key;
    double tokens;
    Clock::time_point last;
    int64_t used;
  };
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

// Per-method counters and recent latencies.
class MetricsStore {
 public:
  void Record(const std::string& method, bool ok, int64_t images, double ms) {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[method];
    (ok ? e.requests : e.errors) += 1;
    if (!ok) return;
    e.images += images;
    e.latencies.push_back(ms);
    if (e.latencies.size() > 20000) e.latencies.pop_front();
  }
  void RecordBatch(int64_t images) {
    std::lock_guard<std::mutex> lock(mu_);
    ++batches_;
    batched_images_ += images;
  }
  ServerStats Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    ServerStats s;
    for (const auto& [name, e] : entries_) {
      MethodStats m{name, e.requests, e.errors, e.images, 0, 0};
      std::vector<double> sorted(e.latencies.begin(), e.latencies.end());
      std::sort(sorted.begin(), sorted.end());
      if (!sorted.empty()) {
        m.p50_ms = sorted[(sorted.size() - 1) / 2];
        m.p99_ms = sorted[static_cast<size_t>(std::ceil(0.99 * static_cast<double>(sorted.size()))) - 1];
      }
      s.methods.push_back(m);
    }
    s.batches = batches_;
    s.batched_images = batched_images_;
    return s;
  }

 private:
  struct Entry {
    int64_t requests = 0, errors = 0, images = 0;
    std::deque<double> latencies;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  int64_t batches_ = 0, batched_images_ = 0;
};

// Collects feature requests from every client into encoder passes of up to
// max_batch images.
class Batcher {
 public:
  Batcher(const FoldedEncoder& encoder, int64_t max_batch, double window_ms, MetricsStore& metrics)
      : encoder_(encoder), max_batch_(max_batch), window_(window_ms), metrics_(metrics), thread_([this] {
          Loop();
        }) {}
  ~Batcher() { Stop(); }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // images: N × 1 × S × S. Blocks until its pass has run.
  at::Tensor Encode(at::Tensor images) {
    std::promise<at::Tensor> done;
    std::future<at::Tensor> result = done.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({std::move(images), std::move(done)});
    }
    wake_.notify_one();
    return result.get();
  }

 private:
  struct Pending {
    at::Tensor images;
    std::promise<at::Tensor> done;
  };
  void Loop() {
    torch::NoGradGuard no_grad;
    while (true) {
      std::vector<Pending> batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        // Give other clients a moment to join this pass.
        wake_.wait_for(lock, window_, [&] { return Queued() >= max_batch_; });
        int64_t images = 0;
        while (!queue_.empty() && (batch.empty() || images + queue_.front().images.size(0) <= max_batch_)) {
          images += queue_.front().images.size(0);
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::vector<at::Tensor> inputs;
      for (const Pending& p : batch) inputs.push_back(p.images);
      const at::Tensor features = encoder_.Forward(at::cat(inputs));
      metrics_.RecordBatch(features.size(0));
      int64_t at = 0;
      for (Pending& p : batch) {
        const int64_t n = p.images.size(0);
        p.done.set_value(features.slice(0, at, at + n).contiguous());
        at += n;
      }
    }
  }
  int64_t Queued() const {
    int64_t n = 0;
    for (const Pending& p : queue_) n += p.images.size(0);
    return n;
  }

  const FoldedEncoder& encoder_;
  const int64_t max_batch_;
  const std::chrono::duration<double, std::milli> window_;
  MetricsStore& metrics_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

class ReaasServer::Impl final : public Reaas::Service {
 public:
  Impl(FoldedEncoder encoder, const ServerConfig& config)
      : encoder_(std::move(encoder)),
        image_size_(encoder_.layers.front().input_shape[1]),
        global_(GlobalLipschitz(encoder_)),
        limits_(config.keys),
        batcher_(encoder_, config.max_batch, config.batch_window_ms, metrics_) {}

  grpc::Status Features(grpc::ServerContext* context, const FeatureRequest* request,
                        FeatureReply* reply) override {
    return Timed("Features", *context, [&](int64_t& images) -> grpc::Status {
      at::Tensor x;
      if (grpc::Status s = ToTensor(request->images(), x); !s.ok()) return s;
      images = x.size(0);
      const at::Tensor f = batcher_.Encode(x);
      reply->set_count(static_cast<int32_t>(f.size(0)));
      reply->set_dim(static_cast<int32_t>(f.size(1)));
      reply->mutable_features()->Add(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
      return grpc::Status::OK;
    });
  }

  grpc::Status F2IPerturb(grpc::ServerContext* context, const F2IPerturbRequest* request,
                          F2IPerturbReply* reply) override {
    return Timed("F2IPerturb", *context, [&](int64_t& images) -> grpc::Status {
      at::Tensor x;
      if (grpc::Status s = ToTensor(request->image(), x); !s.ok()) return s;
      if (x.size(0) != 1) return Error(grpc::StatusCode::INVALID_ARGUMENT, "F2IPerturb takes one image");
      const double r = request->feature_radius();
      if (!(r >= 0) || std::isinf(r))
        return Error(grpc::StatusCode::INVALID_ARGUMENT, "the feature radius must be finite and >= 0");
      images = 1;
      reply->set_lipschitz(global_.lipschitz);
      if (request->method() == F2IPerturbRequest::LIPSCHITZ) {
        reply->set_radius(*LipschitzRadius(global_, r));
        return grpc::Status::OK;
      }
      BoundOptions options;
      switch (request->method()) {
        case F2IPerturbRequest::INTERVAL_BOUNDS:
          options.relaxation = Relaxation::kInterval;
          break;
        case F2IPerturbRequest::LINEAR_RELAXATION:
          options.relaxation = Relaxation::kLinear;
          break;
        default:
          return Error(grpc::StatusCode::INVALID_ARGUMENT, "unknown F2IPerturb method");
      }
      absl::StatusOr<PropagationResult> p = PropagationRadius(encoder_, global_, x[0], r, options);
      if (!p.ok()) return Error(grpc::StatusCode::INTERNAL, std::string(p.status().message()));
      reply->set_radius(p->radius);
      reply->set_bound_calls(p->bound_calls);
      return grpc::Status::OK;
    });
  }

  grpc::Status Health(grpc::ServerContext* context, const HealthRequest*, HealthReply* reply) override {
    return Timed("Health", *context, [&](int64_t&) {
      reply->set_status(draining_ ? "draining" : "serving");
      reply->set_image_size(static_cast<int32_t>(image_size_));
      reply->set_feature_dim(static_cast<int32_t>(encoder_.feature_dim()));
      return grpc::Status::OK;
    });
  }

  grpc::Status Metrics(grpc::ServerContext* context, const MetricsRequest*, MetricsReply* reply) override {
    return Timed("Metrics", *context, [&](int64_t&) {
      const ServerStats s = metrics_.Snapshot();
      for (const MethodStats& m : s.methods) {
        MethodMetrics* out = reply->add_methods();
        out->set_method(m.method);
        out->set_requests(m.requests);
        out->set_errors(m.errors);
        out->set_images(m.images);
        out->set_p50_ms(m.p50_ms);
        out->set_p99_ms(m.p99_ms);
      }
      reply->set_batches(s.batches);
      reply->set_batched_images(s.batched_images);
      return grpc::Status::OK;
    });
  }

  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::mutex shutdown_mu;
  bool shut_down = false;
  std::atomic<bool> draining_{false};
  MetricsStore metrics_;

  void StopBatcher() { batcher_.Stop(); }

 private:
  // Runs `body` after the key check, recording the outcome and latency.
  template <typename Body>
  grpc::Status Timed(const std::string& method, const grpc::ServerContext& context, Body body) {
    const Clock::time_point start = Clock::now();
    grpc::Status s = limits_.Admit(context);
    int64_t images = 0;
    if (s.ok()) {
      try {
        s = body(images);
      } catch (const std::exception& e) {  // a torch error on input that passed validation
        s = Error(grpc::StatusCode::INTERNAL, e.what());
      }
    }
    metrics_.Record(method, s.ok(), images,
                    std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    return s;
  }

  grpc::Status ToTensor(const Images& in, at::Tensor& out) const {
    if (in.count() < 1 || in.height() != image_size_ || in.width() != image_size_) {
      return Error(grpc::StatusCode::INVALID_ARGUMENT,
                   absl::StrCat("need count >= 1 images of ", image_size_, " x ", image_size_, ", got ",
                                in.count(), " of ", in.height(), " x ", in.width()));
    }
    const int64_t expected = static_cast<int64_t>(in.count()) * image_size_ * image_size_;
    if (in.pixels_size() != expected) {
      return Error(grpc::StatusCode::INVALID_ARGUMENT,
                   absl::StrCat("expected ", expected, " pixels, got ", in.pixels_size()));
    }
    for (float p : in.pixels()) {
      if (!std::isfinite(p))
        return Error(grpc::StatusCode::INVALID_ARGUMENT, "pixels must be finite (no NaN or Inf)");
    }
    out = at::from_blob(const_cast<float*>(in.pixels().data()), {in.count(), 1, image_size_, image_size_},
                        at::kFloat)
              .clone();
    return grpc::Status::OK;
  }

  FoldedEncoder encoder_;
  int64_t image_size_;
  LipschitzBound global_;
  KeyLimits limits_;
  Batcher batcher_;
};

absl::StatusOr<std::vector<ApiKey>> ParseApiKeys(const std::string& text) {
  std::vector<ApiKey> keys;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    const std::vector<std::string> fields = absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    ApiKey k;
    k.key = fields[0];
    bool ok = fields.size() <= 4;
    if (ok && fields.size() > 1) ok = absl::SimpleAtod(fields[1], &k.rate) && k.rate > 0;
    if (ok && fields.size() > 2) ok = absl::SimpleAtod(fields[2], &k.burst) && k.burst >= 1;
    if (ok && fields.size() > 3) ok = absl::SimpleAtoi(fields[3], &k.quota);
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("keys line ", line_number, ": need KEY [RATE > 0 [BURST >= 1 [QUOTA]]]"));
    }
    for (const ApiKey& other : keys) {
      if (other.key == k.key)
        return absl::InvalidArgumentError(absl::StrCat("keys line ", line_number, ": repeated key"));
    }
    keys.push_back(k);
  }
  if (keys.empty()) return absl::InvalidArgumentError("no API key given");
  return keys;
}

absl::StatusOr<std::vector<ApiKey>> LoadApiKeys(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<ApiKey>> keys = ParseApiKeys(*text);
  if (!keys.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", keys.status().message()));
  return keys;
}

ReaasServer::ReaasServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ReaasServer::~ReaasServer() { Shutdown(std::chrono::seconds(1)); }

absl::StatusOr<std::unique_ptr<ReaasServer>> ReaasServer::Start(FoldedEncoder encoder,
                                                                const ServerConfig& config) {
  if (encoder.layers.empty() || !encoder.layers.front().conv)
    return absl::InvalidArgumentError("the encoder has no layers");
  if (config.keys.empty()) return absl::InvalidArgumentError("no API key given");
  if (config.max_request_bytes < 1024 || config.max_batch < 1 || !(config.batch_window_ms >= 0))
    return absl::InvalidArgumentError("need max_request_bytes >= 1024, max_batch >= 1, batch_window_ms >= 0");
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (config.tls_cert.empty() && config.tls_key.empty()) {
    if (!config.allow_plaintext)
      return absl::InvalidArgumentError(
          "no TLS certificate and key given (plaintext must be allowed explicitly)");
    credentials = grpc::InsecureServerCredentials();
  } else {
    absl::StatusOr<std::string> cert = ReadFile(config.tls_cert), key = ReadFile(config.tls_key);
    if (!cert.ok()) return cert.status();
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(options);
  }
  auto impl = std::make_unique<Impl>(std::move(encoder), config);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.address, credentials, &impl->port);
  builder.RegisterService(impl.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_request_bytes));
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve on ", config.address, " (address in use, or a bad certificate or key)"));
  }
  return std::unique_ptr<ReaasServer>(new ReaasServer(std::move(impl)));
}

int ReaasServer::port() const { return impl_->port; }

void ReaasServer::Shutdown(std::chrono::milliseconds grace) {
  std::lock_guard<std::mutex> lock(impl_->shutdown_mu);
  if (impl_->shut_down) return;
  impl_->draining_ = true;
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);  // waits for accepted requests
  impl_->StopBatcher();
  impl_->shut_down = true;
}

void ReaasServer::Wait() { impl_->server->Wait(); }

ServerStats ReaasServer::Stats() const { return impl_->metrics_.Snapshot(); }

}  // namespace warden::reaas
