// The token searches of the text-side MMA-Diffusion and Ring-A-Bell attacks,
// on the committed default encoder.
#include "components/itd/token_attacks.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "components/clip/default_encoder.h"
#include "components/clip/vocab.h"

namespace warden::itd {
namespace {

class TokenAttacksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = tokenizer->release();
    absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder("");
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = new clip::ClipTextModel(*model);
  }
  static clip::ClipTokenizer* tokenizer_;
  static clip::ClipTextModel* model_;
};
clip::ClipTokenizer* TokenAttacksTest::tokenizer_ = nullptr;
clip::ClipTextModel* TokenAttacksTest::model_ = nullptr;

TEST_F(TokenAttacksTest, AllowedTokensBanTheConceptsTokensAndMarkers) {
  std::vector<int64_t> every(49408);
  std::iota(every.begin(), every.end(), 0);
  const std::vector<int64_t> allowed = AllowedTokens(*tokenizer_, every, {"tom cruise"});
  auto has = [&](int64_t id) { return std::binary_search(allowed.begin(), allowed.end(), id); };
  EXPECT_FALSE(has(clip::kStartOfText));
  EXPECT_FALSE(has(clip::kEndOfText));
  for (int id : tokenizer_->Encode("tom cruise")) EXPECT_FALSE(has(id)) << id;
  for (int id : tokenizer_->Encode("cruise")) EXPECT_FALSE(has(id)) << id;
  for (int id : tokenizer_->Encode("a photo of")) EXPECT_TRUE(has(id)) << id;
  EXPECT_GT(allowed.size(), 49000u);
}

// Whole-word tokens survive decode → tokenize, alone and in sequence; word
// pieces (no trailing space when decoded) are left out.
TEST_F(TokenAttacksTest, WholeWordTokensRoundTrip) {
  const std::vector<int64_t> words = WholeWordTokens(*tokenizer_, 49408);
  EXPECT_GT(words.size(), 20000u);
  EXPECT_LT(words.size(), 49406u);
  auto has = [&](int64_t id) { return std::binary_search(words.begin(), words.end(), id); };
  for (int id : tokenizer_->Encode("a photo of")) EXPECT_TRUE(has(id)) << id;
  std::vector<int> sequence;
  for (size_t i = 0; i < words.size(); i += words.size() / 12) sequence.push_back(static_cast<int>(words[i]));
  EXPECT_EQ(tokenizer_->Encode(tokenizer_->Decode(sequence)), sequence);
}

// The gradient path (token embeddings in) is the forward the searches score with.
TEST_F(TokenAttacksTest, EmbedsForwardEqualsIdsForward) {
  torch::NoGradGuard no_grad;
  const std::vector<int> words = tokenizer_->Encode("a photo of a dog");
  std::vector<int64_t> row = {clip::kStartOfText};
  row.insert(row.end(), words.begin(), words.end());
  row.push_back(clip::kEndOfText);
  const at::Tensor ids = at::tensor(row).view({1, -1});
  const at::Tensor eos = at::tensor({static_cast<int64_t>(row.size()) - 1});
  const at::Tensor a = (*model_)->forward(ids, eos).pooled;
  const at::Tensor b =
      (*model_)
          ->forward_embeds((*model_)->token_embedding().index_select(0, ids[0]).unsqueeze(0), eos)
          .pooled;
  EXPECT_TRUE(at::allclose(a, b, 1e-5, 1e-6));
  const at::Tensor c = PooledOfTokens(*model_, {words})[0];
  EXPECT_NEAR(at::dot(c, a[0] / a[0].norm()).item<double>(), 1.0, 1e-5);
}

// Both searches move towards their target: more steps, higher similarity than
// the random start (steps = 0), and MMA reaches a target made of real tokens.
TEST_F(TokenAttacksTest, SearchesClimbTowardsTheTarget) {
  const at::Tensor goal = PooledOfPrompts(*model_, *tokenizer_, {"a photo of a dog on the beach"})[0];
  const std::vector<int64_t> allowed =
      AllowedTokens(*tokenizer_, WholeWordTokens(*tokenizer_, 49408), {"dog"});
  TokenSearchConfig config;
  config.length = 6;
  config.batch = 32;
  config.steps = 0;
  absl::StatusOr<TokenSearchResult> start = MmaTokenSearch(*model_, goal, allowed, config);
  ASSERT_TRUE(start.ok()) << start.status();
  config.steps = 25;
  absl::StatusOr<TokenSearchResult> mma = MmaTokenSearch(*model_, goal, allowed, config);
  absl::StatusOr<TokenSearchResult> ga = GeneticTokenSearch(*model_, goal, allowed, config);
  ASSERT_TRUE(mma.ok() && ga.ok());
  EXPECT_GT(mma->similarity, start->similarity + 0.1);
  EXPECT_GT(ga->similarity, start->similarity + 0.05);
  EXPECT_EQ(mma->ids.size(), 6u);
  for (int id : mma->ids) EXPECT_TRUE(std::binary_search(allowed.begin(), allowed.end(), id)) << id;
  // The reported similarity is the pooled cosine of the returned tokens.
  EXPECT_NEAR(at::dot(PooledOfTokens(*model_, {mma->ids})[0], goal / goal.norm()).item<double>(),
              mma->similarity, 1e-5);
  // Deterministic in the seed.
  absl::StatusOr<TokenSearchResult> again = MmaTokenSearch(*model_, goal, allowed, config);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ids, mma->ids);
  // Bad arguments are errors, not crashes.
  EXPECT_FALSE(MmaTokenSearch(*model_, goal.slice(0, 0, 3), allowed, config).ok());
  EXPECT_FALSE(GeneticTokenSearch(*model_, goal, {}, config).ok());
  EXPECT_FALSE(ConceptVector(*model_, *tokenizer_, {"a"}, {}).ok());
}

TEST_F(TokenAttacksTest, ConceptVectorPointsFromWithoutToWith) {
  absl::StatusOr<at::Tensor> v =
      ConceptVector(*model_, *tokenizer_, {"a photo of tom cruise", "a painting of tom cruise"},
                    {"a photo of someone", "a painting of someone"});
  ASSERT_TRUE(v.ok());
  const at::Tensor with = PooledOfPrompts(*model_, *tokenizer_, {"a sketch of tom cruise"})[0];
  const at::Tensor without = PooledOfPrompts(*model_, *tokenizer_, {"a sketch of someone"})[0];
  // Adding the vector moves a held-out "without" prompt towards its "with" twin.
  EXPECT_GT(at::dot(without + *v, with).item<double>() / (without + *v).norm().item<double>(),
            at::dot(without, with).item<double>());
}

}  // namespace
}  // namespace warden::itd
