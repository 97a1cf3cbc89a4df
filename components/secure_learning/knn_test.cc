// kNN / rNN over tensors: the same certificates as the core on hand-made
// votes, chunking does not matter, and rho calibration hits its neighbour count.
#include "components/secure_learning/knn.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "components/status/status_matchers.h"

namespace warden::secure_learning {
namespace {

TEST(KnnTensorTest, MatchesTheCoreAndIgnoresChunking) {
  at::manual_seed(0);
  const at::Tensor train_x = at::randn({200, 6}), test_x = at::randn({37, 6});
  const at::Tensor train_y = at::randint(4, {200}, at::kLong);
  ASSERT_OK_AND_ASSIGN(const auto whole, CertifyKnn(train_x, train_y, test_x, 4, 9, 1000));
  ASSERT_OK_AND_ASSIGN(const auto chunked, CertifyKnn(train_x, train_y, test_x, 4, 9, 5));
  ASSERT_EQ(whole.size(), 37u);
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(whole[i].label, chunked[i].label);
    EXPECT_EQ(whole[i].radius, chunked[i].radius);
    // Reference: sort distances in double, take 9, certify.
    const at::Tensor d = (train_x - test_x[static_cast<int64_t>(i)]).pow(2).sum(1);
    const at::Tensor idx = std::get<1>(d.sort(/*stable=*/true, 0, false)).slice(0, 0, 9);
    std::vector<int64_t> votes(4, 0);
    for (int64_t j = 0; j < 9; ++j) ++votes[train_y[idx[j].item<int64_t>()].item<int64_t>()];
    const NeighbourCertificate ref = CertifyByVotes(votes);
    EXPECT_EQ(whole[i].label, ref.label);
    EXPECT_EQ(whole[i].radius, ref.radius);
  }
}

TEST(KnnTensorTest, ManyKsEqualOneAtATime) {
  at::manual_seed(2);
  const at::Tensor train_x = at::randn({300, 6}), test_x = at::randn({40, 6});
  const at::Tensor train_y = at::randint(4, {300}, at::kLong);
  const std::vector<int64_t> ks = {1, 4, 25};
  ASSERT_OK_AND_ASSIGN(const auto many, CertifyKnnMany(train_x, train_y, test_x, 4, ks, 16));
  ASSERT_EQ(many.size(), 3u);
  for (size_t i = 0; i < ks.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(const auto one, CertifyKnn(train_x, train_y, test_x, 4, ks[i]));
    ASSERT_EQ(many[i].size(), one.size());
    for (size_t t = 0; t < one.size(); ++t) {
      EXPECT_EQ(many[i][t].label, one[t].label);
      EXPECT_EQ(many[i][t].radius, one[t].radius);
    }
  }
  EXPECT_FALSE(CertifyKnnMany(train_x, train_y, test_x, 4, {3, 0}).ok());
}

TEST(KnnTensorTest, RhoCalibrationAndRnn) {
  at::manual_seed(1);
  const at::Tensor train_x = at::randn({500, 4}), test_x = at::randn({101, 4});
  const at::Tensor train_y = at::randint(3, {500}, at::kLong);
  const double rho = RhoForMedianNeighbours(train_x, test_x, 50, 101);
  const at::Tensor within = (at::cdist(test_x, train_x) <= rho).sum(1);
  EXPECT_EQ(within.median().item<int64_t>(), 50);
  ASSERT_OK_AND_ASSIGN(const auto certs, CertifyRnn(train_x, train_y, test_x, 3, rho));
  ASSERT_OK_AND_ASSIGN(const auto none, CertifyRnn(train_x, train_y, test_x, 3, 0.0));
  for (const auto& c : none) EXPECT_EQ(c.label, -1);
  int64_t certified = 0;
  for (const auto& c : certs) certified += c.radius >= 0;
  EXPECT_GT(certified, 50);
  EXPECT_FALSE(CertifyKnn(train_x, train_y, test_x, 2, 5).ok());  // label 2 out of range
  EXPECT_FALSE(CertifyKnn(train_x, train_y, test_x.slice(1, 0, 3), 3, 5).ok());
  at::Tensor nan = train_x.clone();
  nan[7][1] = NAN;  // a non-finite training feature would poison every distance to it
  EXPECT_FALSE(CertifyRnn(nan, train_y, test_x, 3, rho).ok());
}

}  // namespace
}  // namespace warden::secure_learning
