// The base classifier f of randomized smoothing: raw pixels in [0, 1]
// (N × C × H × W) to logits (N × K). Any normalization is the model's first
// layer, so certified radii are in raw pixel space (spec §5).
#ifndef WARDEN_COMPONENTS_SMOOTHING_BASE_CLASSIFIER_H_
#define WARDEN_COMPONENTS_SMOOTHING_BASE_CLASSIFIER_H_

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace warden::smoothing {

class BaseClassifier {
 public:
  virtual ~BaseClassifier() = default;
  // Logits for a batch on device(). InvalidArgument for a batch of the wrong
  // shape; Internal if the model throws.
  virtual absl::StatusOr<at::Tensor> Logits(const at::Tensor& batch) = 0;
  virtual int64_t num_classes() const = 0;
  virtual c10::Device device() const = 0;
};

// Calls `forward` on `batch`, turning a c10::Error (bad shapes inside the model)
// into InvalidArgument that names `what` and the batch's shape.
absl::StatusOr<at::Tensor> CallForward(const std::function<at::Tensor(const at::Tensor&)>& forward,
                                       const at::Tensor& batch, const char* what);

// Wraps an in-process forward function (e.g. a torch::nn module's forward).
std::unique_ptr<BaseClassifier> WrapForward(std::function<at::Tensor(const at::Tensor&)> forward,
                                            int64_t num_classes, c10::Device device);

// Loads a TorchScript module (torch::jit::load) whose forward maps raw pixels to
// num_classes logits, onto `device`. NotFound/InvalidArgument if the file is
// missing or not TorchScript.
absl::StatusOr<std::unique_ptr<BaseClassifier>> LoadTorchScript(const std::string& path,
                                                                int64_t num_classes,
                                                                c10::Device device);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_BASE_CLASSIFIER_H_
