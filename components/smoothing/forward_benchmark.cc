// Cheaper forward passes of the MNIST CNN on a CPU (issue 22, item 3): the
// same weights (the embedded σ = 0.25 model) run five ways, on the same
// batches of noisy digits, each checked against the fp32 NCHW baseline's
// argmax (the only thing smoothing counts).
//
//   BM_Forward/<variant>/<batch>  forwards + argmax per second; counter
//   `agree` = fraction of argmaxes equal to the baseline's on 10,000 noisy
//   copies of 10 test digits at σ = 0.25.
//
// Variants: 0 fp32 NCHW (what the sampler runs), 1 channels-last, 2 bf16
// autocast, 3 bf16 weights and activations, 4 TorchScript frozen and
// optimized for inference (torch::jit::optimize_for_inference: oneDNN
// convolutions with the ReLU fused in, prepacked weights).
// Run: bazel run -c opt //components/smoothing:forward_benchmark
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>

#include "components/smoothing/default_model.h"
#include "components/smoothing/mnist_cnn.h"
#include "components/smoothing/precision.h"
#include "components/tensor/datasets.h"
#include "components/tensor/runtime.h"
#include "components/tensor/safetensors.h"

namespace {

using namespace warden;
using smoothing::MnistCnn;

MnistCnn& Model() {
  static MnistCnn* model = [] {
    auto* m = new MnistCnn();
    absl::StatusOr<tensor::SafetensorsFile> file = tensor::SafetensorsFile::FromBytes(
        std::string(embedded::DefaultMnistModel().data(), embedded::DefaultMnistModel().size()));
    if (!file.ok() || !smoothing::LoadMnistCnnFromFile(*file, *m, nullptr).ok()) {
      std::fprintf(stderr, "cannot load the embedded model\n");
      std::abort();
    }
    (*m)->eval();
    return m;
  }();
  return *model;
}

MnistCnn CopyOfModel() {
  MnistCnn copy;
  torch::NoGradGuard no_grad;
  for (const auto& p : Model()->named_parameters()) copy->named_parameters()[p.key()].copy_(p.value());
  copy->eval();
  return copy;
}

// The CNN as a TorchScript module built from its weights (no Python needed).
torch::jit::Module ScriptedModel() {
  torch::jit::Module m("MnistCnnScript");
  for (const auto& p : Model()->named_parameters()) {
    std::string name = p.key();
    std::replace(name.begin(), name.end(), '.', '_');
    m.register_parameter(name, p.value().detach().clone(), /*is_buffer=*/false);
  }
  m.define(R"(
def forward(self, x):
    x = (x - 0.1307) / 0.3081
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.conv1_weight, self.conv1_bias)), 2)
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.conv2_weight, self.conv2_bias)), 2)
    x = torch.relu(torch.linear(torch.flatten(x, 1), self.fc1_weight, self.fc1_bias))
    return torch.linear(x, self.fc2_weight, self.fc2_bias)
)");
  m.eval();
  return torch::jit::optimize_for_inference(m);
}

std::function<at::Tensor(const at::Tensor&)> Variant(int variant) {
  switch (variant) {
    case 0:
      return [](const at::Tensor& x) { return Model()->forward(x); };
    case 1: {
      static MnistCnn cl = [] {
        MnistCnn copy = CopyOfModel();
        for (auto& p : copy->parameters()) {
          if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
        }
        return copy;
      }();
      return [](const at::Tensor& x) { return cl->forward(x.contiguous(at::MemoryFormat::ChannelsLast)); };
    }
    case 2:
      return [](const at::Tensor& x) {
        smoothing::Bf16Autocast bf16(c10::kCPU);
        return Model()->forward(x).to(at::kFloat);
      };
    case 3: {
      static MnistCnn bf = [] {
        MnistCnn copy = CopyOfModel();
        copy->to(at::kBFloat16);
        return copy;
      }();
      return [](const at::Tensor& x) { return bf->forward(x.to(at::kBFloat16)).to(at::kFloat); };
    }
    default: {
      static torch::jit::Module scripted = ScriptedModel();
      return [](const at::Tensor& x) { return scripted.forward({x}).toTensor(); };
    }
  }
}

const char* kNames[] = {"fp32_nchw", "channels_last", "bf16_autocast", "bf16_weights", "jit_optimized"};

// Noisy copies of 10 test digits (σ = 0.25), fixed.
const at::Tensor& NoisyDigits() {
  static at::Tensor x = [] {
    absl::StatusOr<tensor::ImageDataset> test = tensor::LoadImageDataset("mnist", tensor::Split::kTest);
    if (!test.ok()) {
      std::fprintf(stderr, "%s\n", std::string(test.status().message()).c_str());
      std::abort();
    }
    at::manual_seed(0);
    at::Tensor digits = test->images.slice(0, 0, 10).to(at::kFloat).repeat_interleave(1000, 0);
    return digits + 0.25 * at::randn_like(digits);
  }();
  return x;
}

void BM_Forward(benchmark::State& state) {
  const int variant = static_cast<int>(state.range(0));
  const int64_t batch = state.range(1);
  c10::InferenceMode inference;
  auto forward = Variant(variant);
  const at::Tensor& x = NoisyDigits();
  // Agreement with the baseline over all 10,000 noisy copies.
  int64_t agree = 0;
  for (int64_t i = 0; i < x.size(0); i += batch) {
    const at::Tensor b = x.slice(0, i, std::min(i + batch, x.size(0)));
    agree += forward(b).argmax(1).eq(Model()->forward(b).argmax(1)).sum().item<int64_t>();
  }
  const at::Tensor input = x.slice(0, 0, batch);
  for (auto _ : state) benchmark::DoNotOptimize(forward(input).argmax(1));
  state.SetLabel(kNames[variant]);
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["agree"] = static_cast<double>(agree) / static_cast<double>(x.size(0));
}

BENCHMARK(BM_Forward)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {1000, 10000}})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  warden::tensor::InitTorchRuntime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
