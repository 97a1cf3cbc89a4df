// Scene generation speed (bazel run -c opt //components/segdata:segdata_benchmark):
// scenes per second, against the bound of writing the scenes' bytes once
// (BM_WriteBound: the same image and mask tensors filled, nothing computed).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>

#include "components/segdata/scenes.h"

namespace warden::segdata {
namespace {

const tensor::ImageDataset& Glyphs() {
  static const tensor::ImageDataset* glyphs = [] {
    absl::StatusOr<tensor::ImageDataset> g = tensor::LoadImageDataset("mnist", tensor::Split::kTest);
    if (!g.ok()) std::abort();
    return new tensor::ImageDataset(*std::move(g));
  }();
  return *glyphs;
}

void BM_MakeScenes(benchmark::State& state) {
  const int64_t count = state.range(0);
  for (auto _ : state) {
    absl::StatusOr<SceneSet> s = MakeScenes(Glyphs(), tensor::Split::kTest, count, {});
    benchmark::DoNotOptimize(s->images.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_MakeScenes)->Arg(300)->Unit(benchmark::kMillisecond);

void BM_WriteBound(benchmark::State& state) {
  const int64_t count = state.range(0);
  for (auto _ : state) {
    at::Tensor images = at::full({count, 1, 48, 48}, 0.5f), masks = at::full({count, 48, 48}, 1, at::kLong);
    benchmark::DoNotOptimize(images.data_ptr<float>());
    benchmark::DoNotOptimize(masks.data_ptr<int64_t>());
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_WriteBound)->Arg(300)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace warden::segdata

BENCHMARK_MAIN();
