// Checks the Google Benchmark wiring: a benchmark registers, runs and reports.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <numeric>
#include <vector>

namespace {

int runs = 0;

void BM_Sum(benchmark::State& state) {
  std::vector<float> v(1024, 1.0f);
  for (auto _ : state) benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0.0f));
  ++runs;
}
BENCHMARK(BM_Sum)->Iterations(10);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const size_t ran = benchmark::RunSpecifiedBenchmarks();
  if (ran != 1 || runs == 0) {
    std::fprintf(stderr, "expected one benchmark to run, ran %zu\n", ran);
    return 1;
  }
  return 0;
}
