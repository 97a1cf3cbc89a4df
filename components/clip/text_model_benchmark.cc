// CLIP text encoder throughput: a 77-token prompt through SD 1.x's text encoder
// architecture (12 layers, width 768, random weights: speed does not depend on
// them) at batch 1 and 64; prompts/s and per-prompt latency.
// Run: bazel run //components/clip:text_model_benchmark
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "components/clip/text_model.h"
#include "components/tensor/runtime.h"

namespace {

using namespace warden::clip;

void BM_Encode77(benchmark::State& state) {
  static ClipTextModel* model = [] {
    torch::manual_seed(0);
    auto* m = new ClipTextModel(ClipTextConfig());
    (*m)->eval();
    return m;
  }();
  const int64_t batch = state.range(0);
  const at::Tensor ids = at::randint(0, 49406, {batch, 77}, at::kLong);
  const at::Tensor eos = at::full({batch}, 76, at::kLong);
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize((*model)->forward(ids, eos).pooled.data_ptr());
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_Encode77)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  warden::tensor::InitTorchRuntime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
