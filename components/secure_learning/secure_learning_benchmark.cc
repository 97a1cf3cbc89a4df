// The defences' cost against their physical bound
// (bazel run -c opt //components/secure_learning:secure_learning_benchmark):
//   BM_BaggingHeads: 250 linear heads on k = 50 points of 129 features each,
//     100 Adam steps, trained together (bagging.cc), against BM_BaggingBound,
//     the two batched GEMMs per step (forward logits, gradient) alone;
//   BM_Knn: kNN certificates (K = 25) of 256 test inputs against 30,000
//     training features, against BM_KnnBound, the distance matrix alone.
// Random data: speed does not depend on the values.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>

#include "components/secure_learning/bagging.h"
#include "components/secure_learning/knn.h"

namespace warden::secure_learning {
namespace {

constexpr int64_t kHeads = 250, kSubsample = 50, kDim = 128, kClasses = 10, kSteps = 100;

void BM_BaggingHeads(benchmark::State& state) {
  torch::manual_seed(0);
  const at::Tensor x = at::randn({2000, kDim}), y = at::randint(kClasses, {2000}, at::kLong);
  const at::Tensor test = at::randn({1, kDim});
  BaggingConfig c;
  c.subsample = kSubsample;
  c.models = kHeads;
  c.models_per_batch = kHeads;
  c.head.steps = kSteps;
  for (auto _ : state) {
    absl::StatusOr<at::Tensor> votes = BaggingVotes(x, y, test, kClasses, c);
    if (!votes.ok()) std::abort();
    benchmark::DoNotOptimize(votes->data_ptr());
  }
  state.counters["heads/s"] =
      benchmark::Counter(static_cast<double>(kHeads * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BaggingHeads)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BaggingBound(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::randn({kHeads, kSubsample, kDim + 1}), w = at::randn({kHeads, kClasses, kDim + 1});
  for (auto _ : state) {
    for (int64_t s = 0; s < kSteps; ++s) {
      const at::Tensor p = x.bmm(w.transpose(1, 2));
      benchmark::DoNotOptimize(p.transpose(1, 2).bmm(x).data_ptr());
    }
  }
  state.counters["heads/s"] =
      benchmark::Counter(static_cast<double>(kHeads * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BaggingBound)->Unit(benchmark::kMillisecond)->UseRealTime();

constexpr int64_t kTrain = 30000, kTests = 256;

void BM_Knn(benchmark::State& state) {
  torch::manual_seed(1);
  const at::Tensor train = at::randn({kTrain, kDim}), test = at::randn({kTests, kDim});
  const at::Tensor y = at::randint(kClasses, {kTrain}, at::kLong);
  for (auto _ : state) {
    absl::StatusOr<std::vector<NeighbourCertificate>> certs = CertifyKnn(train, y, test, kClasses, 25);
    if (!certs.ok()) std::abort();
    benchmark::DoNotOptimize(certs->data());
  }
  state.counters["tests/s"] =
      benchmark::Counter(static_cast<double>(kTests * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Knn)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_KnnBound(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  const at::Tensor train = at::randn({kTrain, kDim}), test = at::randn({kTests, kDim});
  for (auto _ : state) benchmark::DoNotOptimize(at::cdist(test, train).data_ptr());
  state.counters["tests/s"] =
      benchmark::Counter(static_cast<double>(kTests * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KnnBound)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace warden::secure_learning

BENCHMARK_MAIN();
