// The base classifier for 28×28 grayscale digits (MNIST, Fashion-MNIST): a
// compact LeNet-style CNN with the data set's normalization as its first layer,
// so it takes raw pixels in [0, 1]. Weights load from and save to Warden
// checkpoints (components/tensor/checkpoint.h).
#ifndef WARDEN_COMPONENTS_SMOOTHING_MNIST_CNN_H_
#define WARDEN_COMPONENTS_SMOOTHING_MNIST_CNN_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "components/tensor/safetensors.h"

namespace warden::smoothing {

// MNIST's pixel mean and standard deviation (the normalization of Cohen et al.'s
// and PyTorch's MNIST examples): the CNN's first layer, (x − mean) / std.
inline constexpr double kMnistMean = 0.1307;
inline constexpr double kMnistStd = 0.3081;

// conv5(1→16) relu pool2 → conv5(16→32) relu pool2 → fc(512→128) relu → fc(128→10):
// about 2.2 MFLOP per image.
class MnistCnnImpl : public torch::nn::Module {
 public:
  MnistCnnImpl();
  at::Tensor forward(const at::Tensor& pixels);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(MnistCnn);

// The metadata stored with a model: {"architecture": "mnist_cnn", ...}.
nlohmann::json MnistCnnMetadata(const std::string& dataset, double sigma);

// Saves `model`'s parameters and `metadata` as a checkpoint at `path`.
absl::Status SaveMnistCnn(MnistCnn& model, const nlohmann::json& metadata, const std::string& path);

// Loads parameters from a checkpoint file or from safetensors bytes in memory.
// InvalidArgument naming the first missing, unexpected or mis-shaped tensor.
absl::Status LoadMnistCnn(const std::string& path, MnistCnn& model, nlohmann::json* metadata);
absl::Status LoadMnistCnnFromFile(const tensor::SafetensorsFile& file, MnistCnn& model,
                                  nlohmann::json* metadata);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_MNIST_CNN_H_
