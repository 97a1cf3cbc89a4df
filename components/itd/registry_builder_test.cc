#include "components/itd/registry_builder.h"

#include <torch/torch.h>

#include "components/clip/default_encoder.h"
#include "components/itd/default_models.h"
#include "components/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace warden::itd {
namespace {

using ::testing::HasSubstr;
using ::warden::testing::StatusIs;

class RegistryBuilderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    torch::manual_seed(0);
    tokenizer_ = clip::LoadClipTokenizer()->release();
    model_ = new clip::ClipTextModel(*clip::LoadTextEncoder(""));
    (*model_)->eval();
    sae_ = new sae::TopKSae(*LoadSaeOrDefault(""));
  }
  // The committed registry's recipe (components/itd/models/README.md) for the
  // first `n` targets of the seed-0 celebrity split.
  static RegistryRequest CommittedRecipe(int64_t n) {
    RegistryRequest request;
    const NeutralSplit neutral = *MakeNeutralSplit(400, 0);
    request.retain.assign(neutral.calibration.begin(), neutral.calibration.begin() + 100);
    request.calibration = neutral.calibration;
    request.concepts = MakeFamilyConcepts(Family::kCelebrity, n, 0, /*retain_names=*/false)->concepts;
    request.selection.k = 16;
    request.score = ScoreMode::kConcept;
    return request;
  }
  static clip::ClipTokenizer* tokenizer_;
  static clip::ClipTextModel* model_;
  static sae::TopKSae* sae_;
};
clip::ClipTokenizer* RegistryBuilderTest::tokenizer_ = nullptr;
clip::ClipTextModel* RegistryBuilderTest::model_ = nullptr;
sae::TopKSae* RegistryBuilderTest::sae_ = nullptr;

TEST_F(RegistryBuilderTest, ReproducesTheCommittedRegistrysFeatures) {
  const ConceptRegistry committed = *LoadRegistryOrDefault("");
  absl::StatusOr<BuiltRegistry> built = BuildRegistry(*model_, *tokenizer_, *sae_, CommittedRecipe(4));
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->registry.concepts.size(), 4u);
  for (const auto& [name, features] : built->registry.concepts) {
    ASSERT_TRUE(committed.concepts.count(name)) << name;
    EXPECT_EQ(features, committed.concepts.at(name)) << name;
  }
  EXPECT_GT(built->registry.tau, 0);
  EXPECT_FALSE(built->calibration.has_value());
}

TEST_F(RegistryBuilderTest, FprCalibrationAndAppendingKeepTheSmallerTau) {
  RegistryRequest first = CommittedRecipe(2);
  first.tau = TauMode::kFpr;
  first.max_fpr = 0.05;
  absl::StatusOr<BuiltRegistry> a = BuildRegistry(*model_, *tokenizer_, *sae_, first);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->calibration.has_value());
  EXPECT_LE(a->calibration->fpr, 0.05);
  EXPECT_EQ(a->registry.tau, a->calibration->tau);

  RegistryRequest second;
  second.base = a->registry;
  second.retain = first.retain;
  second.selection = first.selection;
  second.concepts = {{"lighthouse",
                      {"a lighthouse on a cliff", "an old lighthouse at night", "a painting of a lighthouse",
                       "a red and white lighthouse"}}};
  absl::StatusOr<BuiltRegistry> b = BuildRegistry(*model_, *tokenizer_, *sae_, second);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->registry.concepts.size(), 3u);
  EXPECT_LE(b->registry.tau, a->registry.tau);
  EXPECT_EQ(b->registry.score, ScoreMode::kConcept);  // the base registry's settings win
}

TEST_F(RegistryBuilderTest, BadRequestsAreErrors) {
  RegistryRequest none = CommittedRecipe(1);
  none.concepts.clear();
  EXPECT_THAT(BuildRegistry(*model_, *tokenizer_, *sae_, none), StatusIs(absl::StatusCode::kInvalidArgument));

  RegistryRequest impossible = CommittedRecipe(1);
  impossible.selection.by_firing = true;
  impossible.selection.min_target_rate = 1.5;  // no latent fires on more than every target
  EXPECT_THAT(BuildRegistry(*model_, *tokenizer_, *sae_, impossible),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no feature")));

  EXPECT_FALSE(ParseTauMode("median").ok());
  EXPECT_EQ(*ParseTauMode("fpr"), TauMode::kFpr);
}

}  // namespace
}  // namespace warden::itd
