#include "components/smoothing/mnist_cnn.h"

#include <torch/nn/functional.h>
#include <torch/torch.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "components/tensor/checkpoint.h"
#include "components/tensor/safetensors_torch.h"

namespace warden::smoothing {
MnistCnnImpl::MnistCnnImpl() {
  conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 5)));
  conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 5)));
  fc1_ = register_module("fc1", torch::nn::Linear(512, 128));
  fc2_ = register_module("fc2", torch::nn::Linear(128, 10));
}

at::Tensor MnistCnnImpl::forward(const at::Tensor& pixels) {
  namespace F = torch::nn::functional;
  at::Tensor x = (pixels - kMnistMean) / kMnistStd;
  x = at::max_pool2d(at::relu(conv1_->forward(x)), 2);
  x = at::max_pool2d(at::relu(conv2_->forward(x)), 2);
  x = at::relu(fc1_->forward(x.flatten(1)));
  return fc2_->forward(x);
}

nlohmann::json MnistCnnMetadata(const std::string& dataset, double sigma) {
  return {{"architecture", "mnist_cnn"},
          {"dataset", dataset},
          {"sigma", sigma},
          {"input", "raw pixels in [0, 1], N x 1 x 28 x 28"},
          {"num_classes", 10}};
}

absl::Status SaveMnistCnn(MnistCnn& model, const nlohmann::json& metadata, const std::string& path) {
  tensor::Checkpoint checkpoint;
  for (const auto& item : model->named_parameters()) {
    checkpoint.tensors.emplace_back(item.key(), item.value().detach());
  }
  checkpoint.metadata = metadata;
  return tensor::SaveCheckpoint(path, checkpoint);
}

absl::Status LoadMnistCnnFromFile(const tensor::SafetensorsFile& file, MnistCnn& model,
                                  nlohmann::json* metadata) {
  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  for (auto& item : model->named_parameters()) {
    expected.insert(item.key());
    absl::StatusOr<const tensor::SafetensorsEntry*> entry = file.Find(item.key());
    if (!entry.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("model file lacks tensor \"", item.key(), "\""));
    }
    absl::StatusOr<at::Tensor> value = tensor::ReadTensor(file, **entry);
    if (!value.ok()) return value.status();
    if (value->sizes() != item.value().sizes() || value->scalar_type() != at::kFloat) {
      return absl::InvalidArgumentError(absl::StrCat("tensor \"", item.key(), "\" has shape [",
                                                     c10::Join(", ", value->sizes()), "], expected F32 [",
                                                     c10::Join(", ", item.value().sizes()), "]"));
    }
    item.value().copy_(*value);
  }
  for (const tensor::SafetensorsEntry& entry : file.entries()) {
    if (!expected.count(entry.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("model file has unexpected tensor \"", entry.name, "\""));
    }
  }
  if (metadata != nullptr) {
    auto it = file.metadata().find("warden.metadata");
    *metadata = it == file.metadata().end()
                    ? nlohmann::json::object()
                    : nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (metadata->is_discarded()) *metadata = nlohmann::json::object();
  }
  return absl::OkStatus();
}

absl::Status LoadMnistCnn(const std::string& path, MnistCnn& model, nlohmann::json* metadata) {
  absl::StatusOr<tensor::SafetensorsFile> file = tensor::SafetensorsFile::Open(path);
  if (!file.ok()) return file.status();
  absl::Status status = LoadMnistCnnFromFile(*file, model, metadata);
  if (!status.ok()) return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
  return status;
}

}  // namespace warden::smoothing
