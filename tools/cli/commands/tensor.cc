#include "tools/cli/commands/tensor.h"

#include <ATen/ATen.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "components/tensor/checkpoint.h"
#include "components/tensor/datasets.h"
#include "components/tensor/random.h"
#include "components/tensor/safetensors.h"

namespace warden::tensor {
namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::Status PrintInspection(const SafetensorsFile& file, const std::string& path, bool json,
                             std::ostream& out) {
  if (json) {
    nlohmann::json doc = {{"path", path},
                          {"bytes", file.file_size()},
                          {"metadata", file.metadata()},
                          {"tensors", nlohmann::json::array()}};
    for (const SafetensorsEntry& e : file.entries()) {
      doc["tensors"].push_back(
          {{"name", e.name}, {"dtype", DTypeName(e.dtype)}, {"shape", e.shape}, {"bytes", e.nbytes()}});
    }
    out << doc.dump() << "\n";
    return absl::OkStatus();
  }
  out << absl::StrFormat("%s: %d tensor(s), %d bytes\n", path, file.entries().size(), file.file_size());
  if (!file.metadata().empty()) {
    out << "metadata:\n";
    for (const auto& [key, value] : file.metadata()) {
      const std::string shown = value.size() > 100 ? value.substr(0, 97) + "..." : value;
      out << "  " << key << ": " << shown << "\n";
    }
  }
  size_t width = 4;
  for (const SafetensorsEntry& e : file.entries()) width = std::max(width, e.name.size());
  out << absl::StrFormat("%-*s  %-7s  %-20s  %s\n", width, "name", "dtype", "shape", "bytes");
  for (const SafetensorsEntry& e : file.entries()) {
    out << absl::StrFormat("%-*s  %-7s  %-20s  %d\n", width, e.name, DTypeName(e.dtype), ShapeText(e.shape),
                           e.nbytes());
  }
  return absl::OkStatus();
}

class InspectCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "lists a safetensors file's tensors (name, dtype, shape, bytes) and metadata";
  }
  std::string ArgsUsage() const override { return "FILE"; }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.Bool("json", &json_, "print one JSON object instead of a table");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat("expected one FILE, got ", args.size()));
    }
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(args[0]);
    if (!file.ok()) return file.status();
    return PrintInspection(*file, args[0], json_, out);
  }

 private:
  bool json_ = false;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void RegisterTensorCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("tensor", "the shared tensor layer: safetensors files, data sets, devices");
  registry.Add("tensor", "inspect", [] { return std::make_unique<InspectCommand>(); });
}

absl::Status RunTensorDemo(std::ostream& out) {
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ImageDataset> mnist = LoadImageDataset("mnist", Split::kTest);
  if (!mnist.ok()) return mnist.status();
  const at::Tensor counts = at::bincount(mnist->labels, /*weights=*/{}, mnist->num_classes);
  std::vector<int64_t> per_class(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel());
  out << absl::StrFormat("MNIST test: images %s, labels per class [%s] (loaded in %.2f s)\n",
                         ShapeText(mnist->images.sizes().vec()), absl::StrJoin(per_class, " "),
                         SecondsSince(start));

  absl::StatusOr<at::Tensor> noisy = AddGaussianNoise(mnist->images.slice(0, 0, 16), 0.25, 2026);
  if (!noisy.ok()) return noisy.status();
  const double noise_std = (*noisy - mnist->images.slice(0, 0, 16)).std().item<double>();
  out << absl::StrFormat("Gaussian noise sigma=0.25 on 16 digits: empirical std %.4f\n", noise_std);

  const char* tmp = std::getenv("TMPDIR");
  const std::string path =
      absl::StrCat(tmp != nullptr && *tmp ? tmp : "/tmp", "/warden-demo-", ::getpid(), ".safetensors");
  Checkpoint checkpoint;
  checkpoint.tensors = {{"images", mnist->images.slice(0, 0, 256)},
                        {"labels", mnist->labels.slice(0, 0, 256)},
                        {"noisy", *noisy}};
  checkpoint.metadata = {{"source", "warden demo"}, {"seed", 2026}};
  if (absl::Status s = SaveCheckpoint(path, checkpoint); !s.ok()) return s;
  absl::StatusOr<Checkpoint> loaded = LoadCheckpoint(path);
  if (!loaded.ok()) return loaded.status();
  for (size_t i = 0; i < checkpoint.tensors.size(); ++i) {
    if (!at::equal(checkpoint.tensors[i].second, loaded->tensors[i].second)) {
      return absl::InternalError("checkpoint round trip changed " + checkpoint.tensors[i].first);
    }
  }
  out << "checkpoint round trip: bit-identical\n";
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  if (!file.ok()) return file.status();
  absl::Status printed = PrintInspection(*file, path, /*json=*/false, out);
  std::remove(path.c_str());
  return printed;
}

}  // namespace warden::tensor
