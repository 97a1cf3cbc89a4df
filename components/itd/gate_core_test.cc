// The portable gate (gate_core.h) against the LibTorch one (itd.h: Deactivate)
// on the committed default encoder, SAE and registry, and on real prompts.
#include "components/itd/gate_core.h"

#include <torch/torch.h>

#include <string>
#include <vector>

#include "components/clip/default_encoder.h"
#include "components/clip/vocab.h"
#include "components/itd/default_models.h"
#include "components/itd/itd.h"
#include "components/sae/sae_train.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace warden::itd {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string>& Prompts() {
  static const auto* prompts = new std::vector<std::string>{
      "a photo of amy adams",
      "portrait of anthony hopkins smiling at the camera",
      "ben kingsley walking in the rain",
      "a bowl of fruit on a wooden table",
      "a red car parked on a quiet street",
      "an oil painting of a mountain lake at dawn",
  };
  return *prompts;
}

class GateCoreTest : public ::testing::TestWithParam<ScoreMode> {};

TEST_P(GateCoreTest, MatchesTheLibTorchGateOnRealPrompts) {
  const ScoreMode mode = GetParam();
  absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder("");
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  absl::StatusOr<sae::TopKSae> sae = LoadSaeOrDefault("");
  ASSERT_TRUE(sae.ok()) << sae.status();
  absl::StatusOr<ConceptRegistry> registry = LoadRegistryOrDefault("");
  ASSERT_TRUE(registry.ok()) << registry.status();
  (*model)->eval();

  const std::vector<int64_t> features = registry->UnionFeatures();
  absl::StatusOr<at::Tensor> flat = sae::LayerActivations(*model, **tokenizer, Prompts(), registry->layer);
  ASSERT_TRUE(flat.ok()) << flat.status();
  const int64_t b = static_cast<int64_t>(Prompts().size());
  const at::Tensor h = flat->view({b, -1, flat->size(1)}).contiguous();
  const int64_t tokens = h.size(1);

  // τ between the scores, so both verdicts occur.
  const at::Tensor torch_scores = Deactivate(*sae, h, features, registry->scale, 0, mode).scores;
  const double tau = torch_scores.median().item<double>();
  const Deactivation reference = Deactivate(*sae, h, features, registry->scale, tau, mode);

  const sae::SaeWeights weights = sae::ToPortable(*sae);
  GateConfig config;
  config.k = static_cast<int>((*sae)->config().k);
  config.features.assign(features.begin(), features.end());
  config.scale = static_cast<float>(registry->scale);
  config.tau = static_cast<float>(tau);
  config.mode = mode;
  ASSERT_EQ(ValidateGate(weights, static_cast<int>(tokens), config), "");

  int flagged = 0;
  for (int64_t i = 0; i < b; ++i) {
    const at::Tensor row = h[i].contiguous();
    const GateResult got = ScorePrompt(weights, row.data_ptr<float>(), static_cast<int>(tokens), config);
    const float want = reference.scores[i].item<float>();
    EXPECT_NEAR(got.score, want, 1e-4 * std::max(1e-6f, std::abs(want))) << Prompts()[i];
    if (std::abs(got.score - config.tau) > 1e-4 * std::abs(config.tau)) {
      EXPECT_EQ(got.flagged, reference.flagged[i].item<bool>()) << Prompts()[i];
    }
    flagged += got.flagged;
    // Fired features are concept features only, largest first.
    for (size_t n = 0; n < got.fired.size(); ++n) {
      EXPECT_TRUE(std::binary_search(features.begin(), features.end(), got.fired[n].feature));
      EXPECT_GT(got.fired[n].max_value, 0);
      if (n > 0) EXPECT_GE(got.fired[n - 1].max_value, got.fired[n].max_value);
    }
    // The concept-only score is 0 exactly when no concept feature fires.
    if (mode == ScoreMode::kConcept) EXPECT_EQ(got.score == 0, got.fired.empty()) << Prompts()[i];
  }
  EXPECT_GT(flagged, 0);
  EXPECT_LT(flagged, b);
}

INSTANTIATE_TEST_SUITE_P(Modes, GateCoreTest, ::testing::Values(ScoreMode::kPaper, ScoreMode::kConcept),
                         [](const auto& info) { return ScoreModeName(info.param); });

TEST(GateCoreValidateTest, NamesWhatDoesNotFit) {
  sae::SaeWeights weights;
  weights.d_model = 2;
  weights.n_latents = 3;
  weights.w_enc.assign(6, 0.f);
  weights.w_dec.assign(6, 0.f);
  weights.b_pre.assign(2, 0.f);
  weights.b_lat.assign(3, 0.f);
  GateConfig config;
  config.k = 2;
  EXPECT_EQ(ValidateGate(weights, 4, config), "");
  EXPECT_THAT(ValidateGate(weights, 0, config), HasSubstr("at least one token"));
  config.k = 4;
  EXPECT_THAT(ValidateGate(weights, 4, config), HasSubstr("k = 4"));
  config.k = 2;
  config.features = {1, 3};
  EXPECT_THAT(ValidateGate(weights, 4, config), HasSubstr("concept feature 3"));
  weights.b_lat.pop_back();
  EXPECT_NE(ValidateGate(weights, 4, config), "");
}

TEST(GateCoreTest, HandComputedScores) {
  // d = 2, two latents: encoder = identity, decoder = unit axes, b = 0, k = 1.
  sae::SaeWeights weights;
  weights.d_model = 2;
  weights.n_latents = 2;
  weights.w_enc = {1, 0, 0, 1};
  weights.w_dec = {1, 0, 0, 1};
  weights.b_pre = {0, 0};
  weights.b_lat = {0, 0};
  const float h[] = {5, 0,   // BOS: feature 0 fires but t = 0 is never scaled
                     0, 2};  // feature 1 = 2
  GateConfig config;
  config.k = 1;
  config.features = {1};
  config.scale = -1;
  config.tau = 2;
  config.mode = ScoreMode::kConcept;
  // Δ at t = 1: (s − 1)·2 = −4 on dim 1 → 16 / (2 tokens × 2 dims) = 4.
  GateResult r = ScorePrompt(weights, h, 2, config);
  EXPECT_FLOAT_EQ(r.score, 4);
  EXPECT_TRUE(r.flagged);
  ASSERT_EQ(r.fired.size(), 1u);
  EXPECT_EQ(r.fired[0].feature, 1);
  EXPECT_FLOAT_EQ(r.fired[0].max_value, 2);
  // Paper score: reconstruction exact except the scaled entry (−2 vs 2): also 4.
  config.mode = ScoreMode::kPaper;
  EXPECT_FLOAT_EQ(ScorePrompt(weights, h, 2, config).score, 4);
  config.features = {0};  // fires only at BOS: nothing changes
  r = ScorePrompt(weights, h, 2, config);
  EXPECT_FLOAT_EQ(r.score, 0);
  EXPECT_FALSE(r.flagged);
  EXPECT_TRUE(r.fired.empty());
}

}  // namespace
}  // namespace warden::itd
