// Next-token pre-training on a tiny model: the loss falls, evaluation and
// next-token prediction work over the full vocabulary.
#include "components/clip/pretrain.h"

#include <torch/torch.h>

#include <gtest/gtest.h>

#include "components/clip/vocab.h"

namespace warden::clip {
namespace {

TEST(PretrainTest, CorpusHasEverySource) {
  absl::StatusOr<std::vector<std::string>> corpus = PretrainCorpus(1, /*captions=*/100, /*sentences=*/100);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  auto count = [&](const std::string& needle) {
    return std::count_if(corpus->begin(), corpus->end(),
                         [&](const std::string& s) { return s.find(needle) != std::string::npos; });
  };
  EXPECT_GT(count("a photo of "), 600);     // celebrity templates
  EXPECT_GT(count("in the style of "), 1700);  // artist templates
  EXPECT_EQ(*PretrainCorpus(1, 100, 100), *corpus);  // seeded
}

TEST(PretrainTest, LossFallsAndEvaluationRuns) {
  absl::StatusOr<std::unique_ptr<ClipTokenizer>> tokenizer = LoadClipTokenizer();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  // A repetitive corpus the tiny model can learn in a few dozen steps.
  std::vector<std::string> prompts;
  for (int i = 0; i < 400; ++i) prompts.push_back(i % 2 ? "a photo of a cat" : "a painting of a dog");
  PretrainConfig config;
  config.layers = 1;
  config.width = 32;
  config.heads = 2;
  config.intermediate = 64;
  config.batch = 16;
  config.max_steps = 60;
  config.warmup_steps = 5;
  config.learning_rate = 5e-3;
  config.negatives = 256;
  torch::manual_seed(0);
  ClipTextModel model(PretrainModelConfig(config));
  absl::StatusOr<PretrainReport> report = PretrainNextToken(model, **tokenizer, prompts, config);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_GE(report->losses.size(), 2u);
  EXPECT_LT(report->losses.back(), report->losses.front());
  EXPECT_EQ(report->steps_done, 60);
  EXPECT_GT(report->heldout_accuracy, report->unigram_accuracy);
  const auto next = PredictNextTokens(model, **tokenizer, "a photo of a", 3);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_GE(next[0].second, next[1].second);
  EXPECT_FALSE(PretrainNextToken(model, **tokenizer, {"too", "few"}, config).ok());
}

}  // namespace
}  // namespace warden::clip
