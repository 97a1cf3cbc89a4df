// Tensor-layer benchmarks.
//
//   BM_PlainRead            read(2) of a 256 MiB file into memory: the bound
//   BM_SafetensorsLoad      SafetensorsFile::Open + ReadTensor of every tensor
//                           (the same 256 MiB as float32 tensors)
//   BM_SafetensorsMap       Open + MapTensor (no copy) + one pass summing the data
//   BM_MnistLoad            MNIST train split (60k images) to float tensors
//   BM_AddGaussianNoise     noise for one smoothing batch (1000 x 28 x 28)
//
// Throughput is reported as bytes_per_second. Run:
//   bazel run -c opt //components/tensor:tensor_benchmark
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "components/tensor/datasets.h"
#include "components/tensor/random.h"
#include "components/tensor/safetensors.h"
#include "components/tensor/safetensors_torch.h"

namespace {

using namespace warden::tensor;

constexpr int64_t kTensors = 16;
constexpr int64_t kFloatsPerTensor = 4 << 20;  // 16 MiB each, 256 MiB total

const std::string& BenchFile() {
  static const std::string* path = [] {
    const char* tmp = std::getenv("TMPDIR");
    auto* p = new std::string(std::string(tmp ? tmp : "/tmp") + "/warden_bench.safetensors");
    NamedTensors tensors;
    for (int64_t i = 0; i < kTensors; ++i) {
      tensors.emplace_back("t" + std::to_string(i), at::randn({kFloatsPerTensor}));
    }
    if (!SaveSafetensors(*p, tensors).ok()) std::abort();
    return p;
  }();
  return *path;
}

int64_t FileBytes() { return kTensors * kFloatsPerTensor * 4; }

void BM_PlainRead(benchmark::State& state) {
  const std::string& path = BenchFile();
  std::vector<char> buffer(static_cast<size_t>(FileBytes()) + (1 << 20));
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    size_t total = 0;
    ssize_t n;
    while ((n = ::read(fd, buffer.data() + total, buffer.size() - total)) > 0) total += n;
    ::close(fd);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * FileBytes());
}
BENCHMARK(BM_PlainRead)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SafetensorsLoad(benchmark::State& state) {
  const std::string& path = BenchFile();
  for (auto _ : state) {
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
    for (const SafetensorsEntry& e : file->entries()) {
      absl::StatusOr<at::Tensor> t = ReadTensor(*file, e);
      benchmark::DoNotOptimize(t->data_ptr());
    }
  }
  state.SetBytesProcessed(state.iterations() * FileBytes());
}
BENCHMARK(BM_SafetensorsLoad)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SafetensorsMap(benchmark::State& state) {
  const std::string& path = BenchFile();
  for (auto _ : state) {
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
    double sum = 0;
    for (const SafetensorsEntry& e : file->entries()) {
      absl::StatusOr<at::Tensor> t = MapTensor(*file, e);
      sum += t->sum().item<double>();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * FileBytes());
}
BENCHMARK(BM_SafetensorsMap)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MnistLoad(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<ImageDataset> mnist = LoadImageDataset("mnist", Split::kTrain);
    if (!mnist.ok()) {
      state.SkipWithError("MNIST missing: run tools/setup");
      return;
    }
    benchmark::DoNotOptimize(mnist->images.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * 60000);
}
BENCHMARK(BM_MnistLoad)->Unit(benchmark::kMillisecond)->UseRealTime();

// Noise for one smoothing batch: 1000 noisy copies of a 28x28 image.
void BM_AddGaussianNoise(benchmark::State& state) {
  const at::Tensor x = at::rand({1, 1, 28, 28}).expand({1000, 1, 28, 28});
  uint64_t stream = 0;
  for (auto _ : state) {
    absl::StatusOr<at::Tensor> noisy = AddGaussianNoise(x, 0.25, 1, stream++);
    benchmark::DoNotOptimize(noisy->data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * x.numel());
}
BENCHMARK(BM_AddGaussianNoise)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
