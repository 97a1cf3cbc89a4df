#include "components/reaas/client.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "components/reaas/reaas.grpc.pb.h"

namespace warden::reaas {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

absl::Status FillImages(const at::Tensor& images, Images* out) {
  at::Tensor x = images.dim() == 3 ? images.unsqueeze(1) : images;
  if (x.dim() != 4 || x.size(1) != 1 || x.size(0) < 1)
    return absl::InvalidArgumentError("need images N x 1 x H x W (or N x H x W)");
  x = x.to(at::kFloat).contiguous();
  out->set_count(static_cast<int32_t>(x.size(0)));
  out->set_height(static_cast<int32_t>(x.size(2)));
  out->set_width(static_cast<int32_t>(x.size(3)));
  out->mutable_pixels()->Add(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  return absl::OkStatus();
}

}  // namespace

class ReaasClient::Impl {
 public:
  std::unique_ptr<Reaas::Stub> stub;
  ClientConfig config;
  void Prepare(grpc::ClientContext& context) const {
    context.AddMetadata("x-api-key", config.api_key);
    context.set_deadline(std::chrono::system_clock::now() + config.deadline);
  }
};

ReaasClient::ReaasClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReaasClient::~ReaasClient() = default;

absl::StatusOr<std::unique_ptr<ReaasClient>> ReaasClient::Connect(const ClientConfig& config) {
  if (config.target.empty()) return absl::InvalidArgumentError("no server address");
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (config.root_cert.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    std::ifstream in(config.root_cert);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", config.root_cert));
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(options);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(config.max_reply_bytes));
  args.SetMaxSendMessageSize(-1);  // the server enforces its own limit
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->stub = Reaas::NewStub(grpc::CreateCustomChannel(config.target, credentials, args));
  return std::unique_ptr<ReaasClient>(new ReaasClient(std::move(impl)));
}

absl::StatusOr<at::Tensor> ReaasClient::Features(const at::Tensor& images) {
  FeatureRequest request;
  if (absl::Status s = FillImages(images, request.mutable_images()); !s.ok()) return s;
  FeatureReply reply;
  grpc::ClientContext context;
  impl_->Prepare(context);
  bytes_sent_ += static_cast<int64_t>(request.ByteSizeLong());
  ++calls_;
  if (absl::Status s = FromGrpc(impl_->stub->Features(&context, request, &reply)); !s.ok()) return s;
  if (reply.features_size() != static_cast<int64_t>(reply.count()) * reply.dim())
    return absl::DataLossError("the server's feature reply does not match its shape");
  return at::from_blob(reply.mutable_features()->mutable_data(), {reply.count(), reply.dim()}, at::kFloat)
      .clone();
}

absl::StatusOr<F2IMethod> ParseF2IMethod(const std::string& name) {
  if (name == "lipschitz") return F2IMethod::kLipschitz;
  if (name == "intervals") return F2IMethod::kIntervals;
  if (name == "linear") return F2IMethod::kLinearRelaxation;
  return absl::InvalidArgumentError(
      absl::StrCat("the F2IPerturb method must be lipschitz, intervals or linear, not '", name, "'"));
}

absl::StatusOr<F2IPerturbAnswer> ReaasClient::F2IPerturb(const at::Tensor& image, double feature_radius,
                                                         F2IMethod method) {
  F2IPerturbRequest request;
  if (image.dim() < 2 || image.numel() != image.size(-1) * image.size(-2))
    return absl::InvalidArgumentError("F2IPerturb takes one image (H x W, 1 x H x W or 1 x 1 x H x W)");
  if (absl::Status s =
          FillImages(image.reshape({1, 1, image.size(-2), image.size(-1)}), request.mutable_image());
      !s.ok())
    return s;
  request.set_feature_radius(feature_radius);
  switch (method) {
    case F2IMethod::kLipschitz:
      request.set_method(F2IPerturbRequest::LIPSCHITZ);
      break;
    case F2IMethod::kIntervals:
      request.set_method(F2IPerturbRequest::INTERVAL_BOUNDS);
      break;
    case F2IMethod::kLinearRelaxation:
      request.set_method(F2IPerturbRequest::LINEAR_RELAXATION);
      break;
  }
  F2IPerturbReply reply;
  grpc::ClientContext context;
  impl_->Prepare(context);
  bytes_sent_ += static_cast<int64_t>(request.ByteSizeLong());
  ++calls_;
  if (absl::Status s = FromGrpc(impl_->stub->F2IPerturb(&context, request, &reply)); !s.ok()) return s;
  return F2IPerturbAnswer{reply.radius(), reply.bound_calls(), reply.lipschitz()};
}

absl::StatusOr<ServiceInfo> ReaasClient::Health() {
  HealthReply reply;
  grpc::ClientContext context;
  impl_->Prepare(context);
  if (absl::Status s = FromGrpc(impl_->stub->Health(&context, HealthRequest(), &reply)); !s.ok()) return s;
  return ServiceInfo{reply.status(), reply.image_size(), reply.feature_dim()};
}

absl::StatusOr<ServerStats> ReaasClient::Metrics() {
  MetricsReply reply;
  grpc::ClientContext context;
  impl_->Prepare(context);
  if (absl::Status s = FromGrpc(impl_->stub->Metrics(&context, MetricsRequest(), &reply)); !s.ok()) return s;
  ServerStats stats;
  for (const MethodMetrics& m : reply.methods())
    stats.methods.push_back({m.method(), m.requests(), m.errors(), m.images(), m.p50_ms(), m.p99_ms()});
  stats.batches = reply.batches();
  stats.batched_images = reply.batched_images();
  return stats;
}

}  // namespace warden::reaas
