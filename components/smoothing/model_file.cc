#include "components/smoothing/model_file.h"

#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "components/smoothing/default_model.h"
#include "components/smoothing/mnist_cnn.h"
#include "components/tensor/safetensors.h"

namespace warden::smoothing {
namespace {

LoadedClassifier FromMnistCnn(MnistCnn model, nlohmann::json metadata, c10::Device device, std::string what) {
  model->to(device);
  model->eval();
  LoadedClassifier out;
  out.classifier =
      WrapForward([model](const at::Tensor& x) mutable { return model->forward(x); }, 10, device);
  out.metadata = std::move(metadata);
  out.description = std::move(what);
  return out;
}

}  // namespace

absl::StatusOr<ModelFormat> DetectModelFormat(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": No such file (or not readable)"));
  unsigned char head[9] = {};
  in.read(reinterpret_cast<char*>(head), sizeof(head));
  const std::streamsize got = in.gcount();
  if (got >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return ModelFormat::kTorchScript;
  if (got == 9 && head[8] == '{') {
    uint64_t header = 0;
    for (int i = 7; i >= 0; --i) header = (header << 8) | head[i];
    if (header >= 2 && header < (uint64_t{1} << 32)) return ModelFormat::kSafetensors;
  }
  std::string shown;
  for (std::streamsize i = 0; i < got; ++i) absl::StrAppendFormat(&shown, "%02x", head[i]);
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": neither a safetensors model nor a TorchScript module (a zip archive); first bytes: ",
      shown.empty() ? "none (empty file)" : shown));
}

absl::Status LoadMnistCnnOrDefault(const std::string& path, MnistCnn& model, nlohmann::json* metadata) {
  nlohmann::json ignored;
  if (metadata == nullptr) metadata = &ignored;
  if (!path.empty()) return LoadMnistCnn(path, model, metadata);
  absl::StatusOr<tensor::SafetensorsFile> file =
      tensor::SafetensorsFile::FromBytes(std::string(embedded::DefaultMnistModel()));
  if (!file.ok()) return file.status();
  return LoadMnistCnnFromFile(*file, model, metadata);
}

absl::StatusOr<LoadedClassifier> LoadClassifierFile(const std::string& path, int64_t num_classes,
                                                    c10::Device device) {
  nlohmann::json metadata;
  MnistCnn model;
  if (path.empty()) {
    if (absl::Status s = LoadMnistCnnOrDefault("", model, &metadata); !s.ok()) return s;
    return FromMnistCnn(model, std::move(metadata), device, "embedded MNIST CNN (sigma=0.25)");
  }
  absl::StatusOr<ModelFormat> format = DetectModelFormat(path);
  if (!format.ok()) return format.status();
  if (*format == ModelFormat::kTorchScript) {
    if (num_classes < 2) return absl::InvalidArgumentError("a TorchScript model needs --classes >= 2");
    absl::StatusOr<std::unique_ptr<BaseClassifier>> loaded = LoadTorchScript(path, num_classes, device);
    if (!loaded.ok()) return loaded.status();
    LoadedClassifier out;
    out.classifier = std::move(*loaded);
    out.description = "TorchScript module";
    return out;
  }
  if (absl::Status s = LoadMnistCnn(path, model, &metadata); !s.ok()) return s;
  return FromMnistCnn(model, std::move(metadata), device, "MNIST CNN (safetensors)");
}

}  // namespace warden::smoothing
