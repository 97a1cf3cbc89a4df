// The service's costs against the encoder's own forward pass
// (bazel run -c opt //components/reaas:reaas_benchmark):
//   BM_Forward/N: the folded encoder on N images, the bound for the Feature-API;
//   BM_F2IPerturbLipschitz: one Lipschitz radius (O(1) after the start-up norms);
//   BM_F2IPerturbPropagation: one bound-propagation radius (binary search of
//     interval bounds and masked power iterations) on a trained-like encoder;
//   BM_GlobalLipschitz: the start-up norms of every layer.
// Random weights and images: the cost does not depend on the values much, but
// the number of dead neurons (and so the masked norms) does.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>

#include "components/reaas/bounds.h"
#include "components/reaas/encoder.h"

namespace warden::reaas {
namespace {

FoldedEncoder Encoder() {
  absl::StatusOr<RobustEncoder> e = MakeRobustEncoder({}, 0);
  if (!e.ok()) std::abort();
  return Fold(*e);
}

void BM_Forward(benchmark::State& state) {
  const FoldedEncoder enc = Encoder();
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::rand({state.range(0), 1, 28, 28});
  for (auto _ : state) benchmark::DoNotOptimize(enc.Forward(x).data_ptr());
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(state.range(0) * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Forward)->Arg(1)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GlobalLipschitz(benchmark::State& state) {
  const FoldedEncoder enc = Encoder();
  for (auto _ : state) benchmark::DoNotOptimize(GlobalLipschitz(enc).lipschitz);
}
BENCHMARK(BM_GlobalLipschitz)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_F2IPerturbLipschitz(benchmark::State& state) {
  const LipschitzBound bound = GlobalLipschitz(Encoder());
  for (auto _ : state) benchmark::DoNotOptimize(*LipschitzRadius(bound, 1.0));
}
BENCHMARK(BM_F2IPerturbLipschitz);

void BM_F2IPerturbPropagation(benchmark::State& state) {
  const FoldedEncoder enc = Encoder();
  const LipschitzBound bound = GlobalLipschitz(enc);
  const at::Tensor x = at::rand({1, 28, 28});
  const double feature_radius = 0.05 * enc.Forward(x.unsqueeze(0)).norm().item<double>();
  int64_t calls = 0;
  double gain = 0;
  for (auto _ : state) {
    absl::StatusOr<PropagationResult> r = PropagationRadius(enc, bound, x, feature_radius);
    if (!r.ok()) std::abort();
    calls = r->bound_calls;
    gain = r->radius / *LipschitzRadius(bound, feature_radius);
  }
  state.counters["bound_calls"] = static_cast<double>(calls);
  state.counters["radius/lipschitz"] = gain;
}
BENCHMARK(BM_F2IPerturbPropagation)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace warden::reaas

BENCHMARK_MAIN();
