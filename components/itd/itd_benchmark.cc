// The ItD gate against its physical bound, the dense encoder GEMM
// [77 tokens × d] · [d × n_latents] that every SAE encode must do:
//   BM_EncoderGemm   the bare GEMM (the bound)
//   BM_SaeEncode     encode: GEMM + biases + top-k + ReLU (goal: >= 0.8× GEMM throughput)
//   BM_Gate          encode + feature scaling + decode + score + select (goal: <= 1.25× GEMM);
//                    second argument: 0 paper score, 1 concept score, 2 concept score, no feature fires
//   BM_EncodeGemmPart, BM_TopKPart  where the encode's time goes
//   BM_PortableEncode the torch-free core (what the browser runs), same shapes
//   BM_PortableGate  the whole torch-free gate on one prompt (Arg 0: paper score, 1: concept score)
//   BM_PromptToVerdict tokenize + the default encoder with the gate hooked (with --sae etc. absent:
//                    default encoder width; random SAE of the default size)
// Shapes: d = 256 (the default encoder) and 768 (SD 1.x), n = 8192 latents, k = 32.
// Run: bazel run //components/itd:itd_benchmark
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <memory>

#include "components/clip/default_encoder.h"
#include "components/clip/vocab.h"
#include "components/itd/filter.h"
#include "components/itd/gate_core.h"
#include "components/itd/itd.h"
#include "components/sae/sae.h"
#include "components/sae/sae_core.h"
#include "components/tensor/runtime.h"

namespace {

using namespace warden;

constexpr int64_t kTokens = 77, kLatents = 8192, kK = 32;

sae::TopKSae& SaeOfWidth(int64_t d) {
  static std::map<int64_t, sae::TopKSae> cache;
  auto it = cache.find(d);
  if (it == cache.end()) {
    torch::manual_seed(0);
    sae::SaeConfig c;
    c.d_model = d;
    c.n_latents = kLatents;
    c.k = kK;
    it = cache.emplace(d, sae::TopKSae(c)).first;
  }
  return it->second;
}

std::vector<int64_t> SomeFeatures() {
  std::vector<int64_t> f;
  for (int64_t j = 0; j < kLatents; j += 64) f.push_back(j);  // 128 concept features
  return f;
}

void SetFlops(benchmark::State& state, int64_t d) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(static_cast<double>(2 * kTokens * d * kLatents),
                         benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::OneK::kIs1000);
  state.counters["GFLOP/s"].value /= 1e9;
}

void BM_EncoderGemm(benchmark::State& state) {
  const int64_t d = state.range(0);
  sae::TopKSae& s = SaeOfWidth(d);
  const at::Tensor h = at::randn({kTokens, d});
  const at::Tensor w_t = s->w_enc.detach().t();
  at::Tensor out = at::empty({kTokens, kLatents});
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    at::mm_out(out, h, w_t);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  SetFlops(state, d);
}

void BM_SaeEncode(benchmark::State& state) {
  const int64_t d = state.range(0);
  sae::TopKSae& s = SaeOfWidth(d);
  const at::Tensor h = at::randn({kTokens, d});
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(s->Encode(h).values.data_ptr());
  SetFlops(state, d);
}

// The encode's two halves: the biased GEMM and the row-wise top-k. Variants of
// the GEMM half (second argument): 0 addmm with the bias, 1 mm alone, 2 mm then
// add_ the bias, 3 mm of the raw input, 4 the same split over ATen's threads by
// rows (tensor::RowParallelMm, what the encode runs). With OpenBLAS's own threads, any
// OpenMP-parallel op right after the GEMM (the bias add) waits for cores the
// BLAS threads still spin on (docs/benchmarks.md).
void BM_EncodeGemmPart(benchmark::State& state) {
  const int64_t d = state.range(0);
  sae::TopKSae& s = SaeOfWidth(d);
  const at::Tensor h = at::randn({kTokens, d});
  torch::NoGradGuard no_grad;
  const int variant = static_cast<int>(state.range(1));
  for (auto _ : state) {
    at::Tensor r;
    if (variant == 0) r = at::addmm(s->b_lat, h - s->b_pre, s->w_enc.t());
    if (variant == 1) r = at::mm(h - s->b_pre, s->w_enc.t());
    if (variant == 2) r = at::mm(h - s->b_pre, s->w_enc.t()).add_(s->b_lat);
    if (variant == 3) r = at::mm(h, s->w_enc.detach().t());
    if (variant == 4) r = tensor::RowParallelMm(h, s->w_enc.detach().t());
    benchmark::DoNotOptimize(r.data_ptr());
  }
  SetFlops(state, d);
}

void BM_TopKPart(benchmark::State& state) {
  const at::Tensor pre = at::randn({kTokens, kLatents});
  std::vector<int32_t> idx(kTokens * kK);
  for (auto _ : state) {
    for (int64_t t = 0; t < kTokens; ++t) {
      sae::TopKIndices(pre.data_ptr<float>() + t * kLatents, kLatents, kK, idx.data() + t * kK);
    }
    benchmark::DoNotOptimize(idx.data());
  }
}

// Second argument: 0 the paper's score; 1 the concept score with concept
// features among the codes (about half the tokens hit one); 2 the concept
// score with none (the common case of a neutral prompt: nothing decoded).
void BM_Gate(benchmark::State& state) {
  const int64_t d = state.range(0);
  sae::TopKSae& s = SaeOfWidth(d);
  const at::Tensor h = at::randn({1, kTokens, d});
  const int mode = static_cast<int>(state.range(1));
  const std::vector<int64_t> features = mode == 2 ? std::vector<int64_t>{} : SomeFeatures();
  const itd::ScoreMode score = mode == 0 ? itd::ScoreMode::kPaper : itd::ScoreMode::kConcept;
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    benchmark::DoNotOptimize(itd::Deactivate(s, h, features, -8, 1.0, score).output.data_ptr());
  }
  SetFlops(state, d);
}

void BM_PortableEncode(benchmark::State& state) {
  const int64_t d = state.range(0);
  static std::map<int64_t, sae::SaeWeights> cache;
  if (!cache.count(d)) cache[d] = sae::ToPortable(SaeOfWidth(d));
  const sae::SaeWeights& w = cache[d];
  const at::Tensor h = at::randn({kTokens, d});
  const float* x = h.data_ptr<float>();
  for (auto _ : state) {
    for (int64_t t = 0; t < kTokens; ++t)
      benchmark::DoNotOptimize(sae::EncodeTopK(w, x + t * d, kK).values.data());
  }
  SetFlops(state, d);
}

// The whole portable gate on one prompt (gate_core.h: encode, scale, decode,
// score): what the browser demo's WebAssembly runs, here compiled natively.
void BM_PortableGate(benchmark::State& state) {
  const int64_t d = 256;
  static const sae::SaeWeights w = sae::ToPortable(SaeOfWidth(d));
  itd::GateConfig config;
  config.k = static_cast<int>(kK);
  for (int64_t j : SomeFeatures()) config.features.push_back(static_cast<int32_t>(j));
  config.mode = state.range(0) == 0 ? itd::ScoreMode::kPaper : itd::ScoreMode::kConcept;
  const at::Tensor h = at::randn({kTokens, d});
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        itd::ScorePrompt(w, h.data_ptr<float>(), static_cast<int>(kTokens), config).score);
  }
  SetFlops(state, d);
}

void BM_PromptToVerdict(benchmark::State& state) {
  static std::unique_ptr<clip::ClipTokenizer> tokenizer = std::move(*clip::LoadClipTokenizer());
  static std::unique_ptr<itd::ConceptFilter> filter = [] {
    clip::ClipTextModel model = *clip::LoadTextEncoder("");
    itd::ConceptRegistry registry;
    registry.layer = 2;
    registry.tau = 1.0;
    registry.concepts["c"] = SomeFeatures();
    return std::make_unique<itd::ConceptFilter>(*itd::ConceptFilter::Create(
        model, tokenizer.get(), SaeOfWidth(model->config().hidden_size), registry));
  }();
  const std::vector<std::string> prompts(state.range(0), "a portrait of a famous actor on the red carpet");
  for (auto _ : state) benchmark::DoNotOptimize(filter->Run(prompts)->verdicts.data());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_EncoderGemm)->Arg(256)->Arg(768)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SaeEncode)->Arg(256)->Arg(768)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_EncodeGemmPart)
    ->Args({256, 0})
    ->Args({256, 1})
    ->Args({256, 2})
    ->Args({256, 3})
    ->Args({256, 4})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_TopKPart)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Gate)
    ->Args({256, 0})
    ->Args({256, 1})
    ->Args({256, 2})
    ->Args({768, 0})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_PortableEncode)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_PortableGate)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_PromptToVerdict)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  tensor::InitTorchRuntime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
