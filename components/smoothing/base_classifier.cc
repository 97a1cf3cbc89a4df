#include "components/smoothing/base_classifier.h"

#include <ATen/ATen.h>
#include <torch/script.h>

#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace warden::smoothing {
namespace {

absl::Status CheckLogits(const at::Tensor& logits, int64_t batch, int64_t num_classes) {
  if (logits.dim() != 2 || logits.size(0) != batch || logits.size(1) != num_classes) {
    return absl::InvalidArgumentError(absl::StrCat("base classifier returned logits of shape [",
                                                   c10::Join(", ", logits.sizes()), "], expected [", batch,
                                                   ", ", num_classes, "]"));
  }
  return absl::OkStatus();
}

class ForwardClassifier : public BaseClassifier {
 public:
  ForwardClassifier(std::function<at::Tensor(const at::Tensor&)> forward, int64_t num_classes,
                    c10::Device device)
      : forward_(std::move(forward)), num_classes_(num_classes), device_(device) {}

  absl::StatusOr<at::Tensor> Logits(const at::Tensor& batch) override {
    absl::StatusOr<at::Tensor> logits = CallForward(forward_, batch, "base classifier");
    if (!logits.ok()) return logits;
    if (absl::Status s = CheckLogits(*logits, batch.size(0), num_classes_); !s.ok()) return s;
    return logits;
  }
  int64_t num_classes() const override { return num_classes_; }
  c10::Device device() const override { return device_; }

 private:
  std::function<at::Tensor(const at::Tensor&)> forward_;
  int64_t num_classes_;
  c10::Device device_;
};

}  // namespace

absl::StatusOr<at::Tensor> CallForward(const std::function<at::Tensor(const at::Tensor&)>& forward,
                                       const at::Tensor& batch, const char* what) {
  try {
    return forward(batch);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, " failed on a batch of shape [",
                                                   c10::Join(", ", batch.sizes()),
                                                   "]: ", e.what_without_backtrace()));
  }
}

std::unique_ptr<BaseClassifier> WrapForward(std::function<at::Tensor(const at::Tensor&)> forward,
                                            int64_t num_classes, c10::Device device) {
  return std::make_unique<ForwardClassifier>(std::move(forward), num_classes, device);
}

absl::StatusOr<std::unique_ptr<BaseClassifier>> LoadTorchScript(const std::string& path, int64_t num_classes,
                                                                c10::Device device) {
  if (!std::ifstream(path).good()) {
    return absl::NotFoundError(absl::StrCat("TorchScript model ", path, " not found"));
  }
  auto module = std::make_shared<torch::jit::script::Module>();
  try {
    *module = torch::jit::load(path, device);
    module->eval();
  } catch (const c10::Error& e) {
    const std::string why = e.what_without_backtrace();
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a loadable TorchScript module: ", why.substr(0, why.find('\n'))));
  }
  return WrapForward([module](const at::Tensor& batch) { return module->forward({batch}).toTensor(); },
                     num_classes, device);
}

}  // namespace warden::smoothing
