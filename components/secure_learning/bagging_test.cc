// Bagging with linear heads: every head votes once per input, the votes are
// seeded, separable data gets unanimous votes whose certificate is the core's,
// and heads trained together equal heads trained one at a time.
#include "components/secure_learning/bagging.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "components/secure_learning/bagging_core.h"
#include "components/status/status_matchers.h"

namespace warden::secure_learning {
namespace {

struct Toy {
  at::Tensor x, y;
};

Toy Blobs(int64_t per_class, uint64_t seed, double spread) {
  at::manual_seed(seed);
  at::Tensor y = at::arange(3).repeat_interleave(per_class);
  return {(at::eye(3, 4) * 6).index_select(0, y) + spread * at::randn({3 * per_class, 4}), y};
}

TEST(BaggingTest, VotesCountEveryHeadAndAreSeeded) {
  const Toy train = Blobs(40, 1, 1.0), test = Blobs(10, 2, 1.0);
  BaggingConfig c;
  c.subsample = 20;
  c.models = 60;
  c.models_per_batch = 25;  // 25 + 25 + 10
  ASSERT_OK_AND_ASSIGN(const at::Tensor votes, BaggingVotes(train.x, train.y, test.x, 3, c));
  EXPECT_EQ(votes.sizes(), (at::IntArrayRef{30, 3}));
  EXPECT_TRUE((votes.sum(1) == 60).all().item<bool>());
  ASSERT_OK_AND_ASSIGN(const at::Tensor again, BaggingVotes(train.x, train.y, test.x, 3, c));
  EXPECT_TRUE(votes.equal(again));
  // Batching is an implementation detail: one head per batch gives the same votes.
  c.models_per_batch = 60;
  ASSERT_OK_AND_ASSIGN(const at::Tensor whole, BaggingVotes(train.x, train.y, test.x, 3, c));
  EXPECT_TRUE(votes.equal(whole));
}

TEST(BaggingTest, SeparableDataIsCertifiedAsTheCoreSays) {
  const Toy train = Blobs(100, 3, 0.3), test = Blobs(5, 4, 0.3);
  BaggingConfig c;
  c.subsample = 30;
  c.models = 200;
  ASSERT_OK_AND_ASSIGN(const at::Tensor votes, BaggingVotes(train.x, train.y, test.x, 3, c));
  const BaggingResult r = CertifyBagging(votes, test.y, 300, 30, 1e-3);
  EXPECT_EQ(r.accuracy, 1.0);
  const BaggingBounds b = BaggingBoundsFromCounts({200, 0, 0}, 0, BaggingTail(1e-3, 3, 15));
  const int64_t expected = BaggingCertifiedSize(300, 30, b.p_a, b.p_b);
  ASSERT_GT(expected, 0);
  for (int64_t radius : r.radius) EXPECT_EQ(radius, expected);
  EXPECT_EQ(CertifiedAccuracy(r.radius, {0, expected, expected + 1}), (std::vector<double>{1, 1, 0}));
}

TEST(BaggingTest, WrongVotesAreNotCertified) {
  const at::Tensor votes = at::tensor({10, 90, 0, 50, 50, 0}, at::kLong).view({2, 3});
  const BaggingResult r = CertifyBagging(votes, at::tensor({0, 1}, at::kLong), 1000, 10, 1e-3);
  EXPECT_EQ(r.radius, (std::vector<int64_t>{kNotCertified, kNotCertified}));
  EXPECT_EQ(r.accuracy, 0.0);  // the 50-50 tie goes to label 0, not 1
}

}  // namespace
}  // namespace warden::secure_learning
