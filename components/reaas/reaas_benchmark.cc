// The service's costs against the encoder's own forward pass
// (bazel run -c opt //components/reaas:reaas_benchmark):
//   BM_Forward/N: the folded encoder on N images, the bound for the Feature-API;
//   BM_F2IPerturbLipschitz: one Lipschitz radius (O(1) after the start-up norms);
//   BM_F2IPerturbPropagation/R: one bound-propagation radius (a search over
//     bound evaluations) with R = 0 interval, 1 linear (CROWN) relaxation;
//   BM_BoundBall/R/L: one bound evaluation at the radius the search ends
//     near, L = 0 the box bound alone, 1 with the local Lipschitz constant's
//     masked power iterations;
//   BM_GlobalLipschitz: the start-up norms of every layer;
//   BM_ServiceFeatures/threads:T: T concurrent clients, each sending one-image
//     Feature-API requests to a real server over TLS on loopback (certificate
//     made with openssl); requests/s and each client's p50 / p99 latency,
//     against BM_Forward/256's images/s (the batched forward: the bound).
// Random weights and images: the cost does not depend on the values much, but
// the number of dead neurons (and so the masked norms) does.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "components/reaas/bounds.h"
#include "components/reaas/client.h"
#include "components/reaas/encoder.h"
#include "components/reaas/service.h"
#include "components/tensor/runtime.h"

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

// Arg: 0 intervals, 1 linear relaxation (CROWN).
void BM_F2IPerturbPropagation(benchmark::State& state) {
  const BoundOptions options{.relaxation = state.range(0) == 0 ? Relaxation::kInterval : Relaxation::kLinear};
  const FoldedEncoder enc = Encoder();
  const LipschitzBound bound = GlobalLipschitz(enc);
  const at::Tensor x = at::rand({1, 28, 28});
  const double feature_radius = 0.05 * enc.Forward(x.unsqueeze(0)).norm().item<double>();
  int64_t calls = 0;
  double gain = 0;
  for (auto _ : state) {
    absl::StatusOr<PropagationResult> r = PropagationRadius(enc, bound, x, feature_radius, options);
    if (!r.ok()) std::abort();
    calls = r->bound_calls;
    gain = r->radius / *LipschitzRadius(bound, feature_radius);
  }
  state.counters["bound_calls"] = static_cast<double>(calls);
  state.counters["radius/lipschitz"] = gain;
}
BENCHMARK(BM_F2IPerturbPropagation)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BoundBall(benchmark::State& state) {
  BoundOptions options{.relaxation = state.range(0) == 0 ? Relaxation::kInterval : Relaxation::kLinear};
  const FoldedEncoder enc = Encoder();
  const LipschitzBound bound = GlobalLipschitz(enc);
  const at::Tensor x = at::rand({1, 28, 28});
  const double feature_radius = 0.05 * enc.Forward(x.unsqueeze(0)).norm().item<double>();
  absl::StatusOr<PropagationResult> found = PropagationRadius(enc, bound, x, feature_radius, options);
  if (!found.ok()) std::abort();
  options.local_lipschitz =
      state.range(1) == 0 ? BoundOptions::LocalLipschitz::kNever : BoundOptions::LocalLipschitz::kAlways;
  int64_t unstable = 0;
  for (auto _ : state) {
    absl::StatusOr<BallBounds> b = BoundBall(enc, bound, x, found->radius, options);
    if (!b.ok()) std::abort();
    unstable = b->unstable;
  }
  state.counters["unstable"] = static_cast<double>(unstable);
}
BENCHMARK(BM_BoundBall)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();

// One server for every thread count, on a free port.
struct Loopback {
  std::unique_ptr<ReaasServer> server;
  std::string cert;
};

Loopback& Shared() {
  static Loopback* loopback = [] {
    auto* l = new Loopback;
    char dir[] = "/tmp/reaas_bench_XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    l->cert = std::string(dir) + "/srv.pem";
    const std::string cmd =
        std::string("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost ") +
        "-addext subjectAltName=DNS:localhost -keyout " + dir + "/srv.key -out " + l->cert +
        " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) std::abort();
    ServerConfig config;
    config.tls_cert = l->cert;
    config.tls_key = std::string(dir) + "/srv.key";
    config.keys = {{"bench", 1e9, 1e9, -1}};
    config.batch_window_ms = 1;
    absl::StatusOr<std::unique_ptr<ReaasServer>> server = ReaasServer::Start(Encoder(), config);
    if (!server.ok()) std::abort();
    l->server = std::move(*server);
    return l;
  }();
  return *loopback;
}

void BM_ServiceFeatures(benchmark::State& state) {
  Loopback& loopback = Shared();
  ClientConfig config;
  config.target = "localhost:" + std::to_string(loopback.server->port());
  config.root_cert = loopback.cert;
  config.api_key = "bench";
  absl::StatusOr<std::unique_ptr<ReaasClient>> client = ReaasClient::Connect(config);
  if (!client.ok() || !(*client)->Health().ok()) std::abort();
  const at::Tensor image = at::rand({1, 1, 28, 28});
  std::vector<double> latency_ms;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (!(*client)->Features(image).ok()) std::abort();
    latency_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  const auto at = [&](double q) {
    return latency_ms.empty()
               ? 0.0
               : latency_ms[static_cast<size_t>(q * static_cast<double>(latency_ms.size() - 1))];
  };
  state.counters["requests/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["p50_ms"] = benchmark::Counter(at(0.5), benchmark::Counter::kAvgThreads);
  state.counters["p99_ms"] = benchmark::Counter(at(0.99), benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_ServiceFeatures)->Threads(1)->Threads(8)->Threads(64)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace warden::reaas

// The thread policy `warden reaas serve` runs under (OpenBLAS single-threaded).
int main(int argc, char** argv) {
  warden::tensor::InitTorchRuntime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
