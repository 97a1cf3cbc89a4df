// The attacks' cost against their physical bound
// (bazel run -c opt //components/segattack:segattack_benchmark):
//   BM_Pgd / BM_CrPgd: T = 50 steps on a batch of 32 scenes, against the bound
//     of T forward + backward passes of the same batch plus, for CR-PGD, the
//     10 radius refreshes of N = 8 forward passes (spec §2.5);
//   BM_Pbgd: queries per second of the two-point bandit, against the bound of
//     plain forward passes over the same number of images.
// The bound is re-measured beside each attack (this machine's speed drifts),
// and `vs_bound` compares the fastest of each. A small U-Net (the spec's
// 16-32-64) with random weights: speed does not depend on the weights.
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <functional>

#include "components/segattack/blackbox.h"
#include "components/segattack/whitebox.h"
#include "components/segdata/scenes.h"

namespace warden::segattack {
namespace {

constexpr int64_t kBatch = kForwardChunk;  // 32

struct Setup {
  SegNet model{nullptr};
  segdata::SceneSet scenes;
};

const Setup& Get() {
  static const Setup* setup = [] {
    auto* s = new Setup;
    absl::StatusOr<SegNet> model = MakeSegNet({"unet", 16, 1, 11}, 0);
    absl::StatusOr<segdata::SceneSet> scenes =
        segdata::LoadScenes("mnist", tensor::Split::kTest, kBatch, segdata::SceneOptions());
    if (!model.ok() || !scenes.ok()) std::abort();
    s->model = *model;
    s->model->eval();
    s->scenes = *std::move(scenes);
    return s;
  }();
  return *setup;
}

double Seconds(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `passes` forward (+ backward) passes over the batch, `forward_images` more images forward only.
double BoundSeconds(int64_t passes, int64_t forward_images) {
  SegNet model = Get().model;
  const at::Tensor x = Get().scenes.images;
  const at::Tensor y = Get().scenes.masks;
  return Seconds([&] {
    for (int64_t i = 0; i < passes; ++i) {
      at::Tensor input = x.detach().requires_grad_(true);
      at::Tensor loss = PixelLoss(model->forward(input), y, 255).mean();
      benchmark::DoNotOptimize(torch::autograd::grad({loss}, {input})[0].data_ptr<float>());
    }
    torch::NoGradGuard no_grad;
    for (int64_t done = 0; done < forward_images; done += kBatch) {  // kBatch = kForwardChunk
      benchmark::DoNotOptimize(model->forward(x).data_ptr<float>());
    }
  });
}

// One forward pass over `batch` scenes (the bound's unit), with no autograd.
void BM_Forward(benchmark::State& state) {
  SegNet model = Get().model;
  const at::Tensor x = Get().scenes.images.repeat({4, 1, 1, 1}).slice(0, 0, state.range(0));
  for (auto _ : state) {
    c10::InferenceMode inference;
    benchmark::DoNotOptimize(model->forward(x).data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * x.size(0));
}
BENCHMARK(BM_Forward)->Arg(16)->Arg(32)->Arg(64)->Arg(96)->Unit(benchmark::kMillisecond);

void RunPgd(benchmark::State& state, bool weighted) {
  SegNet model = Get().model;
  PgdOptions options;
  options.radius_weighted = weighted;
  double attack = 1e30, bound = 1e30;
  for (auto _ : state) {
    const double t = Seconds([&] {
      absl::StatusOr<AttackResult> r = PgdAttack(model, Get().scenes.images, Get().scenes.masks, options);
      if (!r.ok()) std::abort();
      benchmark::DoNotOptimize(r->adversarial.data_ptr<float>());
    });
    state.SetIterationTime(t);
    attack = std::min(attack, t);
    // T forward+backward passes; 10 refreshes × 8 copies of the batch.
    bound = std::min(bound, BoundSeconds(options.steps, weighted ? 10 * 8 * kBatch : 0));
  }
  state.counters["ms_per_image"] = 1e3 * attack / kBatch;
  state.counters["vs_bound"] = attack / bound;
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Pgd(benchmark::State& state) { RunPgd(state, false); }
void BM_CrPgd(benchmark::State& state) { RunPgd(state, true); }
BENCHMARK(BM_Pgd)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CrPgd)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_Pbgd(benchmark::State& state) {
  SegNet model = Get().model;
  BanditOptions options;
  options.budget = 300;
  options.radius_weighted = state.range(0) == 1;
  double attack = 1e30, bound = 1e30;
  int64_t queries = 0;
  for (auto _ : state) {
    const double t = Seconds([&] {
      absl::StatusOr<BanditResult> r = BanditAttack(model, Get().scenes.images, Get().scenes.masks, options);
      if (!r.ok()) std::abort();
      queries = r->queries;
    });
    state.SetIterationTime(t);
    attack = std::min(attack, t);
    bound = std::min(bound, BoundSeconds(0, queries * kBatch));
  }
  state.counters["queries_per_s"] = static_cast<double>(queries * kBatch) / attack;
  state.counters["vs_bound"] = attack / bound;
  state.SetItemsProcessed(state.iterations() * queries * kBatch);
}
BENCHMARK(BM_Pbgd)->Arg(0)->Arg(1)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace warden::segattack

BENCHMARK_MAIN();
