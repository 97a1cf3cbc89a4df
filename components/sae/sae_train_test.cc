// SAE training on activations streamed from the committed default CLIP encoder.
#include "components/sae/sae_train.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "components/clip/default_encoder.h"
#include "components/clip/pretrain.h"
#include "components/clip/vocab.h"

namespace warden::sae {
namespace {

TEST(SaeTrainTest, LearnsToReconstructClipActivations) {
  absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder("");
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<std::vector<std::string>> prompts = clip::PretrainCorpus(0, 200, 0);
  ASSERT_TRUE(prompts.ok());

  absl::StatusOr<at::Tensor> acts = LayerActivations(*model, **tokenizer, {"a photo of", "hello"}, 2);
  ASSERT_TRUE(acts.ok());
  EXPECT_EQ(acts->sizes().vec(), (std::vector<int64_t>{2 * 5, 256}));  // padded to the longest
  EXPECT_FALSE(LayerActivations(*model, **tokenizer, {"x"}, 4).ok());  // 4 layers: 0..3

  torch::manual_seed(0);
  SaeConfig c;
  c.d_model = 256;
  c.n_latents = 512;
  c.k = 16;
  TopKSae sae(c);
  SaeTrainConfig config;
  config.steps = 60;
  config.batch_prompts = 32;
  config.init_prompts = 100;
  config.learning_rate = 2e-3;
  config.warmup_steps = 10;
  absl::StatusOr<SaeTrainReport> report = TrainSaeOnClip(sae, *model, **tokenizer, *prompts, config);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_GE(report->fvu.size(), 3u);
  EXPECT_LT(report->final_fvu, 0.6 * report->fvu.front());
  EXPECT_GT(report->mse_scale, 0);
  // Same seed, same corpus: the same weights, bit for bit.
  torch::manual_seed(0);
  TopKSae again(c);
  config.steps = 20;
  torch::manual_seed(0);
  TopKSae first(c);
  ASSERT_TRUE(TrainSaeOnClip(first, *model, **tokenizer, *prompts, config).ok());
  ASSERT_TRUE(TrainSaeOnClip(again, *model, **tokenizer, *prompts, config).ok());
  for (const auto& p : first->named_parameters()) {
    EXPECT_TRUE(at::equal(p.value(), again->named_parameters()[p.key()])) << p.key();
  }
  SaeConfig wrong = c;
  wrong.d_model = 128;
  TopKSae mismatched(wrong);
  EXPECT_FALSE(TrainSaeOnClip(mismatched, *model, **tokenizer, *prompts, config).ok());
}

}  // namespace
}  // namespace warden::sae
