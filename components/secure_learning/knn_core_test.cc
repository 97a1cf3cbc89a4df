// kNN / rNN certified poisoning size: the spec's vectors
// (docs/specs/secure_learning.md §2), the tie rule, the neighbour order, and
// an exhaustive attack on tiny training sets — no combination of r* or fewer
// insertions, deletions and modifications changes the prediction, and some
// r* + 1 modifications do (the bound is tight).
#include "components/secure_learning/knn_core.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace warden::secure_learning {
namespace {

TEST(KnnTest, SpecVectors) {
  struct Case {
    std::vector<int64_t> votes;
    int64_t label, radius;
  };
  for (const Case& c : {Case{{7, 2, 1}, 0, 2}, Case{{6, 2, 0}, 0, 2}, Case{{2, 0, 0, 6}, 3, 1},
                        Case{{3, 3, 0}, 0, 0}, Case{{5, 0, 0}, 0, 2}}) {
    const NeighbourCertificate cert = CertifyByVotes(c.votes);
    EXPECT_EQ(cert.label, c.label);
    EXPECT_EQ(cert.radius, c.radius);
  }
}

TEST(KnnTest, TiesGoToTheSmallerLabel) {
  EXPECT_EQ(VoteWinner({0, 3, 3}), 1);
  EXPECT_EQ(VoteWinner({0, 0, 0}), -1);
  EXPECT_EQ(VoteWinner({}), -1);
  // Label 1 wins the 3-3 tie; label 2 needs just one move, so r* = 0.
  EXPECT_EQ(CertifyByVotes({0, 3, 3}).radius, 0);
  EXPECT_EQ(CertifyByVotes({0, 0}).label, -1);
  EXPECT_EQ(CertifyByVotes({4}).label, -1);  // one label: nothing to certify against
}

TEST(KnnTest, InsertDeleteOnlyMovesOnePerOperation) {
  EXPECT_EQ(CertifyByVotesInsertDelete({7, 2, 1}).radius, 5);  // 7 - 2 + [0 < 1] - 1
  EXPECT_EQ(CertifyByVotesInsertDelete({2, 0, 0, 6}).radius, 3);
  EXPECT_EQ(CertifyByVotesInsertDelete({3, 3, 0}).radius, 0);
}

TEST(KnnTest, NeighboursByDistanceThenIndex) {
  const std::vector<float> d = {0.5f, 0.1f, 0.5f, 0.3f, 0.9f};
  const std::vector<int64_t> y = {0, 1, 2, 1, 0};
  EXPECT_EQ(KnnVotes(d, y, 3, 3), (std::vector<int64_t>{1, 2, 0}));  // 0.1, 0.3, then index 0 of the 0.5 tie
  EXPECT_EQ(KnnVotes(d, y, 10, 3), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(RnnVotes(d, y, 0.5, 3), (std::vector<int64_t>{1, 2, 1}));
  EXPECT_EQ(RnnVotes(d, y, 0.05, 3), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(CertifyByVotes(RnnVotes(d, y, 0.05, 3)).radius, -1);  // nobody within rho
  EXPECT_TRUE(KnnVotes(d, {0, 1}, 3, 3).empty());
  EXPECT_TRUE(KnnVotes(d, {0, 1, 2, 3, 0}, 3, 3).empty());
  EXPECT_TRUE(KnnVotes({NAN}, {0}, 1, 2).empty());
  EXPECT_TRUE(RnnVotes(d, y, -1, 3).empty());
}

// A tiny 1-D training set; the test input sits at 0.
struct Point {
  float x;
  int64_t label;
};

int64_t Predict(const std::vector<Point>& train, int64_t k, int64_t labels) {
  std::vector<float> d;
  std::vector<int64_t> y;
  for (const Point& p : train) {
    d.push_back(std::fabs(p.x));
    y.push_back(p.label);
  }
  return VoteWinner(KnnVotes(d, y, k, labels));
}

// Every way to apply exactly `budget` operations: delete a point, relabel a
// point, or insert a point of any label at distance 0 or beyond everything.
// Returns whether some sequence changes the prediction away from `clean`.
bool AnyFlip(const std::vector<Point>& train, int64_t k, int64_t labels, int64_t clean, int64_t budget,
             bool modify_only) {
  if (budget == 0) return Predict(train, k, labels) != clean;
  for (size_t i = 0; i < train.size(); ++i) {
    for (int64_t l = 0; l < labels; ++l) {  // modify: relabel
      if (l == train[i].label) continue;
      std::vector<Point> next = train;
      next[i].label = l;
      if (AnyFlip(next, k, labels, clean, budget - 1, modify_only)) return true;
    }
    if (modify_only) continue;
    std::vector<Point> next = train;  // delete
    next.erase(next.begin() + static_cast<std::ptrdiff_t>(i));
    if (AnyFlip(next, k, labels, clean, budget - 1, modify_only)) return true;
  }
  if (modify_only) return false;
  for (int64_t l = 0; l < labels; ++l) {
    for (float x : {0.0f, 100.0f}) {  // insert nearest of all, or farthest
      std::vector<Point> next = train;
      next.insert(next.begin(), Point{x, l});  // first: wins distance ties
      if (AnyFlip(next, k, labels, clean, budget - 1, modify_only)) return true;
    }
  }
  return false;
}

TEST(KnnTest, ExhaustiveAttackOnTinySets) {
  std::mt19937 rng(7);
  int tight = 0, sets = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t labels = 2 + trial % 2, k = 1 + 2 * (trial % 3);  // K in {1, 3, 5}
    const auto n = static_cast<int64_t>(4 + rng() % 6);             // 4..9 points
    std::vector<Point> train;
    std::vector<float> d;
    std::vector<int64_t> y;
    for (int64_t i = 0; i < n; ++i) {
      // Labels skewed to label 0 so that some certificates are large.
      const int64_t label = rng() % 3 == 0 ? static_cast<int64_t>(rng() % labels) : 0;
      train.push_back({static_cast<float>(1 + rng() % 8), label});
      d.push_back(std::fabs(train.back().x));
      y.push_back(label);
    }
    const NeighbourCertificate cert = CertifyByVotes(KnnVotes(d, y, k, labels));
    ASSERT_GE(cert.label, 0);
    ASSERT_EQ(cert.label, Predict(train, k, labels));
    if (cert.radius > 2) continue;  // keeps the search small (ops^3)
    ++sets;
    for (int64_t r = 1; r <= cert.radius; ++r) {
      EXPECT_FALSE(AnyFlip(train, k, labels, cert.label, r, false))
          << "trial " << trial << ": " << r << " operations flipped a certificate of " << cert.radius;
    }
    // Tightness: r* + 1 relabellings of the winner's neighbours always suffice.
    if (AnyFlip(train, k, labels, cert.label, cert.radius + 1, true)) ++tight;
  }
  EXPECT_GE(sets, 30);
  EXPECT_EQ(tight, sets);
}

}  // namespace
}  // namespace warden::secure_learning
