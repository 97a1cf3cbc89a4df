// The planner at scale (planner issue acceptance: < 1 s):
//   BM_PlanCluster  for 1,000 nodes × 6 slots, 256 experts, 64 layers with
//                   skewed loads: allocation (Eq. 1) + MRO placement + the
//                   dispatcher's capacities and one rank's send/receive plan,
//                   for every layer.
//   BM_RecoveryMro  exact P(recovery) of one such layer's MRO placement with
//                   500 failed nodes (closed form over disjoint blocks).
// Run: bazel run //distributed/lazarus:plan_benchmark
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "distributed/lazarus/allocation.h"
#include "distributed/lazarus/dispatcher.h"
#include "distributed/lazarus/placement.h"
#include "distributed/lazarus/recovery.h"

namespace {

using namespace warden::lazarus;

constexpr int kNodes = 1000, kSlots = 6, kExperts = 256, kLayers = 64;

struct LayerInput {
  std::vector<double> loads;
  std::vector<std::vector<int64_t>> tokens;  // [expert][rank]
};

const std::vector<LayerInput>& Inputs() {
  static const auto* inputs = [] {
    auto* v = new std::vector<LayerInput>(kLayers);
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> skew(0.0, 1.0);
    for (LayerInput& layer : *v) {
      layer.loads.resize(kExperts);
      layer.tokens.assign(kExperts, std::vector<int64_t>(kNodes));
      for (int e = 0; e < kExperts; ++e) {
        layer.loads[e] = skew(rng);
        for (int j = 0; j < kNodes; ++j) layer.tokens[e][j] = static_cast<int64_t>(layer.loads[e] * 16 * skew(rng));
      }
    }
    return v;
  }();
  return *inputs;
}

void BM_PlanCluster(benchmark::State& state) {
  const std::vector<LayerInput>& inputs = Inputs();
  for (auto _ : state) {
    for (const LayerInput& layer : inputs) {
      absl::StatusOr<ReplicaAllocation> allocation = AllocateReplicas(layer.loads, kNodes, kSlots, 2);
      absl::StatusOr<Placement> placement = PlaceMro(allocation->replicas, kNodes, kSlots);
      // R[e][j] from the placement.
      std::vector<std::vector<int>> replicas(kExperts, std::vector<int>(kNodes, 0));
      for (int j = 0; j < kNodes; ++j) {
        for (int e : placement->nodes[j]) ++replicas[e][j];
      }
      absl::StatusOr<DispatchCapacities> caps = ComputeCapacities(replicas, layer.tokens);
      RankDispatch mine = PlanRankDispatch(*caps, layer.tokens, /*rank=*/0);
      benchmark::DoNotOptimize(mine.kept.data());
    }
  }
  state.counters["layers"] = kLayers;
}
BENCHMARK(BM_PlanCluster)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RecoveryMro(benchmark::State& state) {
  const LayerInput& layer = Inputs()[0];
  const Placement placement =
      *PlaceMro(AllocateReplicas(layer.loads, kNodes, kSlots, 2)->replicas, kNodes, kSlots);
  for (auto _ : state) {
    benchmark::DoNotOptimize(RecoveryProbability({placement}, kExperts, 500)->probability);
  }
}
BENCHMARK(BM_RecoveryMro)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
