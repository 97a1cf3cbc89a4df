// SISA's bookkeeping (docs/specs/secure_learning.md §5): the shard / slice
// cut, the stage epochs and the expected retraining share.
#include "components/secure_learning/sisa_core.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

namespace warden::secure_learning {
namespace {

std::vector<int64_t> Iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(SisaCoreTest, ContiguousBlocksWithTheRemainderLast) {
  const SisaLayout layout = MakeSisaLayout(Iota(23), 3, 2);
  ASSERT_EQ(layout.size(), 3u);
  // Shards of 7, 7 and 9; slices of 3 + 4, 3 + 4, 4 + 5.
  EXPECT_EQ(layout[0][0], (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(layout[0][1], (std::vector<int64_t>{3, 4, 5, 6}));
  EXPECT_EQ(layout[1][0], (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(layout[2][0], (std::vector<int64_t>{14, 15, 16, 17}));
  EXPECT_EQ(layout[2][1], (std::vector<int64_t>{18, 19, 20, 21, 22}));
  // Every point exactly once, wherever the order puts it.
  const std::vector<int64_t> order = {5, 3, 9, 0, 1, 8, 2, 7, 6, 4};
  const SisaLayout shuffled = MakeSisaLayout(order, 2, 1);
  EXPECT_EQ(shuffled[1][0], (std::vector<int64_t>{8, 2, 7, 6, 4}));
  for (int64_t id = 0; id < 10; ++id) {
    const std::optional<SisaLocation> at = FindInLayout(shuffled, id);
    ASSERT_TRUE(at.has_value()) << id;
    EXPECT_EQ(shuffled[at->shard][at->slice][at->position], id);
  }
  EXPECT_FALSE(FindInLayout(shuffled, 10).has_value());
}

TEST(SisaCoreTest, RejectsImpossibleLayouts) {
  EXPECT_TRUE(MakeSisaLayout(Iota(5), 0, 1).empty());
  EXPECT_TRUE(MakeSisaLayout(Iota(5), 1, 0).empty());
  EXPECT_TRUE(MakeSisaLayout(Iota(5), 3, 2).empty());  // 6 slices for 5 points
  EXPECT_EQ(MakeSisaLayout(Iota(6), 3, 2).size(), 3u);
}

TEST(SisaCoreTest, SliceEpochsFollowTheSchedule) {
  // R = 1: all E epochs in the one stage.
  EXPECT_EQ(SliceEpochs(7, 1), (std::vector<int64_t>{7}));
  // R = 4, E = 10: ē = 4, so 4 epochs per stage.
  EXPECT_EQ(SliceEpochs(10, 4), (std::vector<int64_t>{4, 4, 4, 4}));
  // R = 3, E = 5: ē = 2.5: ⌊2.5⌋ - 0, ⌊5⌋ - ⌊2.5⌋, ⌊7.5⌋ - ⌊5⌋.
  EXPECT_EQ(SliceEpochs(5, 3), (std::vector<int64_t>{2, 3, 2}));
  // Compute in point-epochs is about E shard-epochs: Σ e_j (j+1)/R.
  const std::vector<int64_t> e = SliceEpochs(100, 4);
  double compute = 0;
  for (size_t j = 0; j < e.size(); ++j)
    compute += static_cast<double>(e[j] * static_cast<int64_t>(j + 1)) / 4;
  EXPECT_DOUBLE_EQ(compute, 100);
  EXPECT_TRUE(SliceEpochs(-1, 2).empty());
  EXPECT_TRUE(SliceEpochs(3, 0).empty());
}

TEST(SisaCoreTest, ExpectedShareMatchesTheClosedForm) {
  EXPECT_DOUBLE_EQ(ExpectedRetrainShare(10, 1), 1.0);
  for (int64_t r : {2, 4, 10}) {
    const double closed = (2.0 * static_cast<double>(r) + 1) / (3.0 * static_cast<double>(r));
    EXPECT_NEAR(ExpectedRetrainShare(100000, r), closed, 1e-4) << r;
  }
  EXPECT_NEAR(ExpectedRetrainShare(1000, 4), 0.75, 1e-3);
  EXPECT_TRUE(std::isnan(ExpectedRetrainShare(0, 4)));
  EXPECT_TRUE(std::isnan(ExpectedRetrainShare(4, 0)));
}

}  // namespace
}  // namespace warden::secure_learning
