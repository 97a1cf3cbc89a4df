// ItD on the committed default CLIP encoder with a small SAE trained in the
// test: selection, the gate's scores and thresholds, bit-exact pass-through.
#include "components/itd/itd.h"

#include <torch/torch.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "components/clip/clip_cli.h"
#include "components/clip/pretrain.h"
#include "components/clip/vocab.h"
#include "components/sae/sae_train.h"

namespace warden::itd {
namespace {

constexpr int64_t kLayer = 2;

std::vector<std::string> Templated(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    for (const char* t : {"a photo of %", "a portrait of %", "% smiling"}) {
      std::string s = t;
      s.replace(s.find('%'), 1, n);
      out.push_back(s);
    }
  }
  return out;
}

class ItdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tokenizer_ = clip::LoadClipTokenizer()->release();
    model_ = new clip::ClipTextModel(*clip::LoadTextEncoder(""));
    torch::manual_seed(0);
    sae::SaeConfig c;
    c.d_model = 256;
    c.n_latents = 512;
    c.k = 16;
    sae_ = new sae::TopKSae(c);
    sae::SaeTrainConfig config;
    config.layer = kLayer;
    config.steps = 60;
    config.batch_prompts = 32;
    config.init_prompts = 100;
    config.learning_rate = 2e-3;
    config.warmup_steps = 10;
    const std::vector<std::string> corpus = *clip::PretrainCorpus(0, 300, 0);
    ASSERT_TRUE(sae::TrainSaeOnClip(*sae_, *model_, *tokenizer_, corpus, config).ok());
  }
  static clip::ClipTokenizer* tokenizer_;
  static clip::ClipTextModel* model_;
  static sae::TopKSae* sae_;
};

clip::ClipTokenizer* ItdTest::tokenizer_ = nullptr;
clip::ClipTextModel* ItdTest::model_ = nullptr;
sae::TopKSae* ItdTest::sae_ = nullptr;

TEST_F(ItdTest, SelectionExcludesRetainedFeatures) {
  const auto targets = Templated({"tom cruise", "emma watson"});
  const auto retains = Templated({"brad pitt", "taylor swift", "keanu reeves"});
  absl::StatusOr<std::vector<int64_t>> features =
      SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, targets, retains, 8);
  ASSERT_TRUE(features.ok()) << features.status();
  ASSERT_FALSE(features->empty());
  for (const std::string& r : retains) {
    const at::Tensor h = *sae::LayerActivations(*model_, *tokenizer_, {r}, kLayer);
    for (int64_t j : TopLatents(*sae_, h, 8)) {
      EXPECT_FALSE(std::binary_search(features->begin(), features->end(), j)) << r << " " << j;
    }
  }
  EXPECT_FALSE(SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, {}, retains, 8).ok());
}

TEST_F(ItdTest, GateSeparatesTargetsAndPassesOthersThroughBitExactly) {
  const auto targets = Templated({"tom cruise", "emma watson"});
  const auto retains = Templated({"brad pitt", "taylor swift", "keanu reeves"});
  const std::vector<int64_t> features =
      *SelectConceptFeatures(*model_, *tokenizer_, *sae_, kLayer, targets, retains, 8);
  const at::Tensor target_scores = *Scores(*model_, *tokenizer_, *sae_, kLayer, features, -8, targets);
  const std::vector<std::string> neutral = {"a red car parked on a street", "a bowl of fruit on a table",
                                            "a mountain lake at sunrise", "two dogs playing in the snow",
                                            "a portrait of brad pitt", "a photo of taylor swift"};
  const at::Tensor neutral_scores = *Scores(*model_, *tokenizer_, *sae_, kLayer, features, -8, neutral);
  EXPECT_GT(target_scores.mean().item<double>(), neutral_scores.mean().item<double>());

  // The paper's τ flags every known target by construction.
  const double tau = PaperThreshold(target_scores);
  EXPECT_TRUE(target_scores.ge(tau).all().item<bool>());
  // Our τ: FPR on the neutral set at most 1/6.
  const FprThreshold ours = ThresholdForFpr(neutral_scores, target_scores, 1.0 / 6);
  EXPECT_LE(ours.fpr, 1.0 / 6 + 1e-12);
  EXPECT_GE(ours.tpr, 0.0);

  // Unflagged prompts come out bit-identical; flagged ones become the reconstruction.
  const at::Tensor h = sae::LayerActivations(*model_, *tokenizer_, {targets[0], neutral[0]}, kLayer)->view({2, -1, 256});
  const Deactivation none = Deactivate(*sae_, h, features, -8, 1e30);
  EXPECT_TRUE(at::equal(none.output, h));
  const Deactivation all = Deactivate(*sae_, h, features, -8, 0);
  EXPECT_TRUE(all.flagged.all().item<bool>());
  EXPECT_FALSE(at::equal(all.output[0], h[0]));
  // Scale 1 with no features is the plain reconstruction: its score is the SAE error.
  const Deactivation plain = Deactivate(*sae_, h, {}, 1, 0);
  EXPECT_LE(plain.scores[0].item<double>(), all.scores[0].item<double>());

  // As a layer hook: a prompt below τ gives the same encoder output bit for bit.
  const clip::TokenBatch batch = clip::TokenizeBatch(*tokenizer_, {neutral[0]}, clip::Padding::kToLongest);
  const std::vector<int64_t> ids(batch.ids[0].begin(), batch.ids[0].end());
  const at::Tensor input = at::tensor(ids, at::kLong).view({1, -1});
  const at::Tensor eos = at::tensor({static_cast<int64_t>(batch.eos_position[0])}, at::kLong);
  torch::NoGradGuard no_grad;
  const at::Tensor plain_out = (*model_)->forward(input, eos).last_hidden_state;
  const at::Tensor hooked_out = (*model_)->forward(input, eos, {}, [&](int64_t layer, const at::Tensor& x) {
    return layer == kLayer ? Deactivate(*sae_, x, features, -8, 1e30).output : x;
  }).last_hidden_state;
  EXPECT_TRUE(at::equal(plain_out, hooked_out));
}

TEST(ConceptRegistryTest, JsonRoundTripAndUnion) {
  ConceptRegistry r;
  r.tau = 0.25;
  r.concepts["tom cruise"] = {5, 9, 2};
  r.concepts["van gogh"] = {9, 11};
  absl::StatusOr<ConceptRegistry> back = ConceptRegistry::FromJson(r.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->concepts, r.concepts);
  EXPECT_EQ(back->UnionFeatures(), (std::vector<int64_t>{2, 5, 9, 11}));
  back->concepts.erase("van gogh");  // removing a concept needs no retraining
  EXPECT_EQ(back->UnionFeatures(), (std::vector<int64_t>{2, 5, 9}));
  EXPECT_FALSE(ConceptRegistry::FromJson("{").ok());
  EXPECT_FALSE(ConceptRegistry::FromJson(R"({"layer": 1, "scale": -8, "tau": 0, "concepts": {"a": [-1]}})").ok());
}

}  // namespace
}  // namespace warden::itd
