#include "components/segattack/evaluate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "components/segdata/scenes.h"
#include "components/status/status_matchers.h"

namespace warden::segattack {
namespace {

TEST(EvaluateTest, AttackNamesRoundTrip) {
  for (const char* name :
       {"pgd", "cr-pgd", "pgd-released", "cr-pgd-released", "pbgd", "cr-pbgd", "bgd1", "noise"}) {
    ASSERT_OK_AND_ASSIGN(AttackKind kind, ParseAttack(name));
    EXPECT_EQ(AttackName(kind), name);
  }
  EXPECT_FALSE(ParseAttack("fgsm").ok());
  EXPECT_TRUE(IsBlackBox(AttackKind::kCrPbgd));
  EXPECT_FALSE(IsBlackBox(AttackKind::kCrPgd));
}

TEST(EvaluateTest, FlipRatesByRadiusByHand) {
  // Six labelled pixels, one ignored; pixel 5 is wrong when clean and left out.
  const at::Tensor labels = torch::tensor({1, 1, 1, 1, 1, 1, 255}).view({1, 1, 7});
  const at::Tensor clean = torch::tensor({1, 1, 1, 1, 1, 0, 1}).view({1, 1, 7});
  const at::Tensor adv = torch::tensor({0, 1, 0, 1, 1, 0, 0}).view({1, 1, 7});
  const at::Tensor radius = torch::tensor({0.1, 4.0, 0.2, 3.0, 2.0, 0.0, 0.0}).view({1, 1, 7});
  const RadiusBins bins = FlipRateByRadius(radius, clean, adv, labels, 2);
  ASSERT_EQ(bins.pixels, (std::vector<int64_t>{2, 3}));  // radii 0.1 0.2 | 2 3 4
  EXPECT_DOUBLE_EQ(bins.flip_rate[0], 1.0);
  EXPECT_DOUBLE_EQ(bins.flip_rate[1], 0.0);
  EXPECT_FLOAT_EQ(bins.low[0], 0.1);
  EXPECT_FLOAT_EQ(bins.high[1], 4.0);
}

TEST(EvaluateTest, WhiteBoxResultDoesNotDependOnTheBatching) {
  ASSERT_OK_AND_ASSIGN(SegNet model, MakeSegNet({"fcn", 4, 1, 11}, 2));
  ASSERT_OK_AND_ASSIGN(segdata::SceneSet scenes,
                       segdata::LoadScenes("mnist", tensor::Split::kTest, 4, segdata::SceneOptions()));
  AttackSettings settings;
  settings.pgd.steps = 5;
  settings.batch_size = 4;
  ASSERT_OK_AND_ASSIGN(AttackOutcome whole,
                       RunAttack(model, scenes.images, scenes.masks, AttackKind::kPgd, settings));
  settings.batch_size = 1;
  int64_t calls = 0;
  ASSERT_OK_AND_ASSIGN(AttackOutcome single, RunAttack(model, scenes.images, scenes.masks, AttackKind::kPgd,
                                                       settings, [&](int64_t, int64_t) { ++calls; }));
  EXPECT_EQ(calls, 4);
  EXPECT_LE((whole.adversarial - single.adversarial).abs().max().item<double>(), 1e-5);
  const SegScores clean = Score(model, scenes.images, scenes.masks);
  EXPECT_LE(whole.scores.pixel_accuracy, clean.pixel_accuracy);
  EXPECT_EQ(whole.cost.backward, 5);
}

TEST(EvaluateTest, BlackBoxScoresEachRecordedBudget) {
  ASSERT_OK_AND_ASSIGN(SegNet model, MakeSegNet({"fcn", 4, 1, 11}, 2));
  ASSERT_OK_AND_ASSIGN(segdata::SceneSet scenes,
                       segdata::LoadScenes("mnist", tensor::Split::kTest, 2, segdata::SceneOptions()));
  AttackSettings settings;
  settings.bandit.budget = 30;
  settings.bandit.record_at = {9, 30};
  ASSERT_OK_AND_ASSIGN(AttackOutcome out,
                       RunAttack(model, scenes.images, scenes.masks, AttackKind::kPbgd, settings));
  ASSERT_EQ(out.recorded.size(), 2u);
  EXPECT_EQ(out.cost.forward, 30);
  EXPECT_DOUBLE_EQ(out.recorded[1].pixel_accuracy, out.scores.pixel_accuracy);
}

}  // namespace
}  // namespace warden::segattack
