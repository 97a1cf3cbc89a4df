// SISA with linear heads: the ensemble learns, unlearning retrains only the
// point's shard from its slice on, and the retrained shard equals a fresh
// training run on the layout without the point, bit for bit (spec §7's
// exactness test).
#include "components/secure_learning/sisa.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "components/status/status_matchers.h"

namespace warden::secure_learning {
namespace {

using ::testing::HasSubstr;
using ::warden::testing::StatusIs;

struct Toy {
  at::Tensor x, y;
};

Toy Blobs(int64_t per_class, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor y = at::arange(3).repeat_interleave(per_class);
  return {(at::eye(3, 5) * 4).index_select(0, y) + at::randn({3 * per_class, 5}), y};
}

SisaConfig Config(int64_t shards, int64_t slices) {
  SisaConfig c;
  c.shards = shards;
  c.slices = slices;
  c.head.steps = 40;
  c.seed = 7;
  return c;
}

TEST(SisaTest, TheVoteLearnsSeparableData) {
  const Toy train = Blobs(30, 1), test = Blobs(20, 2);
  ASSERT_OK_AND_ASSIGN(const SisaEnsemble sisa, SisaEnsemble::Train(train.x, train.y, 3, Config(3, 2)));
  EXPECT_GT(sisa.Accuracy(test.x, test.y), 0.9);
  // The same seed cuts the same layout and trains the same heads.
  ASSERT_OK_AND_ASSIGN(const SisaEnsemble again, SisaEnsemble::Train(train.x, train.y, 3, Config(3, 2)));
  EXPECT_EQ(sisa.layout(), again.layout());
  for (int64_t s = 0; s < 3; ++s) EXPECT_TRUE(sisa.head(s).weight.equal(again.head(s).weight));
}

TEST(SisaTest, UnlearningEqualsAFreshRunWithoutThePoint) {
  const Toy train = Blobs(30, 3);
  const SisaConfig config = Config(3, 4);
  ASSERT_OK_AND_ASSIGN(SisaEnsemble sisa, SisaEnsemble::Train(train.x, train.y, 3, config));
  // One point from the last slice of shard 1, one from the first slice of shard 2.
  for (const auto& [shard, slice] : {std::pair<int64_t, int64_t>{1, 3}, {2, 0}}) {
    const int64_t id = sisa.layout()[shard][slice][1];
    std::vector<at::Tensor> before;
    for (int64_t s = 0; s < 3; ++s) before.push_back(sisa.head(s).weight.clone());
    ASSERT_OK_AND_ASSIGN(const UnlearnReport report, sisa.Unlearn(id));
    EXPECT_EQ(report.shard, shard);
    EXPECT_EQ(report.slice, slice);
    EXPECT_EQ(report.stages, 4 - slice);
    // 40 steps over 4 stages: 16 each; stage j sees slices 0..j of the shard.
    int64_t seen = 0, expected = 0;
    for (int64_t j = 0; j < 4; ++j) {
      seen += static_cast<int64_t>(sisa.layout()[shard][j].size());
      if (j >= slice) expected += 16 * seen;
    }
    EXPECT_EQ(report.point_steps, expected);
    EXPECT_LT(report.point_steps, sisa.TrainingPointSteps());
    EXPECT_FALSE(FindInLayout(sisa.layout(), id).has_value());
    for (int64_t s = 0; s < 3; ++s) {
      // Only the point's shard changes ...
      EXPECT_EQ(sisa.head(s).weight.equal(before[s]), s != shard) << "shard " << s;
    }
    // ... and it is exactly what training without the point gives.
    ASSERT_OK_AND_ASSIGN(const SisaEnsemble fresh,
                         SisaEnsemble::TrainLayout(train.x, train.y, 3, sisa.layout(), config));
    for (int64_t s = 0; s < 3; ++s) EXPECT_TRUE(sisa.head(s).weight.equal(fresh.head(s).weight)) << s;
  }
}

TEST(SisaTest, AnEmptiedShardStopsVoting) {
  const Toy train = Blobs(2, 4);  // 6 points
  ASSERT_OK_AND_ASSIGN(SisaEnsemble sisa, SisaEnsemble::Train(train.x, train.y, 3, Config(3, 1)));
  const std::vector<int64_t> shard0 = sisa.layout()[0][0];
  for (int64_t id : shard0) ASSERT_OK(sisa.Unlearn(id).status());
  EXPECT_FALSE(sisa.head(0).weight.defined());
  EXPECT_EQ(sisa.Predict(train.x).size(0), 6);
}

TEST(SisaTest, ClearErrors) {
  const Toy train = Blobs(2, 5);
  EXPECT_THAT(SisaEnsemble::Train(train.x, train.y, 3, Config(4, 2)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot cut 6 points")));
  SisaLayout twice = {{{0, 1, 2}}, {{2, 3, 4}}};
  EXPECT_THAT(SisaEnsemble::TrainLayout(train.x, train.y, 3, twice, Config(2, 1)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(SisaEnsemble::TrainLayout(train.x, train.y, 3, {{{0}}, {{1}}}, Config(2, 2)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 slices")));
  ASSERT_OK_AND_ASSIGN(SisaEnsemble sisa, SisaEnsemble::Train(train.x, train.y, 3, Config(2, 1)));
  ASSERT_OK(sisa.Unlearn(0).status());
  EXPECT_THAT(sisa.Unlearn(0).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(sisa.Unlearn(99).status(), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace warden::secure_learning
