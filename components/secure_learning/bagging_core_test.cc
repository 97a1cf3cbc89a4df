// Bagging's certified poisoning size against the spec's vectors
// (docs/specs/secure_learning.md §1), the closed form where it applies, and a
// brute-force search over every (r, n') on small n.
#include "components/secure_learning/bagging_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace warden::secure_learning {
namespace {

TEST(BaggingTest, VectorsFromProbabilities) {
  EXPECT_EQ(BaggingCertifiedSize(60000, 30, 0.9, 0.1), 1013);
  EXPECT_EQ(BaggingCertifiedSize(60000, 30, 0.6, 0.4), 210);
  EXPECT_EQ(BaggingCertifiedSize(60000, 100, 0.9, 0.1), 305);
  EXPECT_EQ(BaggingCertifiedSize(50000, 50, 0.99, 0.01), 668);
  EXPECT_EQ(BaggingCertifiedSize(1000, 100, 0.95, 0.05), 5);
}

TEST(BaggingTest, VectorsFromCounts) {
  const double tail = BaggingTail(1e-3, 10, 1000);
  EXPECT_DOUBLE_EQ(tail, 1e-7);
  const BaggingBounds b = BaggingBoundsFromCounts({950, 30, 20, 0, 0, 0, 0, 0, 0, 0}, 0, tail);
  EXPECT_NEAR(b.p_a, 0.905123, 1e-6);
  EXPECT_NEAR(b.p_b, 0.067721, 1e-6);
  EXPECT_EQ(BaggingCertifiedSize(60000, 30, b.p_a, b.p_b), 1075);

  const BaggingBounds all = BaggingBoundsFromCounts({0, 0, 1000, 0, 0, 0, 0, 0, 0, 0}, 2, tail);
  EXPECT_NEAR(all.p_a, 0.984011, 1e-6);
  EXPECT_EQ(BaggingCertifiedSize(60000, 30, all.p_a, all.p_b), 1308);
  EXPECT_EQ(BaggingCertifiedSize(30000, 50, all.p_a, all.p_b), 394);

  const BaggingBounds split = BaggingBoundsFromCounts({600, 300, 100, 0, 0, 0, 0, 0, 0, 0}, 0, tail);
  EXPECT_EQ(BaggingCertifiedSize(30000, 50, split.p_a, split.p_b), 43);
}

TEST(BaggingTest, WrongMajorityIsNotCertified) {
  const double tail = BaggingTail(1e-3, 10, 1000);
  const BaggingBounds b = BaggingBoundsFromCounts({300, 600, 100, 0, 0, 0, 0, 0, 0, 0}, 0, tail);
  EXPECT_LT(b.p_a, b.p_b);
  EXPECT_EQ(BaggingCertifiedSize(30000, 50, b.p_a, b.p_b), kNotCertified);
  EXPECT_EQ(BaggingCertifiedSize(30000, 50, 0.5, 0.5), kNotCertified);  // r = 0 needs p_B < p_A
}

TEST(BaggingTest, BadInputCertifiesNothing) {
  const BaggingBounds none;
  for (const BaggingBounds& b :
       {BaggingBoundsFromCounts({}, 0, 1e-3), BaggingBoundsFromCounts({5, 5}, 2, 1e-3),
        BaggingBoundsFromCounts({5, -1}, 0, 1e-3), BaggingBoundsFromCounts({0, 0}, 0, 1e-3),
        BaggingBoundsFromCounts({5, 5}, 0, 0), BaggingBoundsFromCounts({5, 5}, 0, std::nan(""))}) {
    EXPECT_EQ(b.p_a, none.p_a);
    EXPECT_EQ(b.p_b, none.p_b);
  }
  EXPECT_EQ(BaggingCertifiedSize(0, 30, 0.9, 0.1), kNotCertified);
  EXPECT_EQ(BaggingCertifiedSize(100, 0, 0.9, 0.1), kNotCertified);
  EXPECT_TRUE(std::isnan(BaggingTail(1e-3, 0, 10)));
}

// The closed form r* = ceil(n (1 - ((2 - p_A + p_B)/2)^{1/k})) - 1 holds when
// the bracket's peak n'* stays at or below n (spec §1).
TEST(BaggingTest, ClosedFormWhenThePeakIsBelowN) {
  for (int64_t k : {10, 30, 100}) {
    for (double p_a : {0.7, 0.9, 0.999}) {
      const int64_t n = 60000;
      const double p_b = 1 - p_a;
      const int64_t r = BaggingCertifiedSize(n, k, p_a, p_b);
      const double peak = static_cast<double>(r) / (1 - std::pow(2.0, -1.0 / static_cast<double>(k - 1)));
      ASSERT_LE(peak, n);
      const double x =
          static_cast<double>(n) * (1 - std::pow((2 - p_a + p_b) / 2, 1.0 / static_cast<double>(k)));
      EXPECT_EQ(r, static_cast<int64_t>(std::ceil(x)) - 1) << "k " << k << " p_a " << p_a;
    }
  }
}

// Brute force: every r in [0, n] and every n' in [n - r, n + r], the largest r
// whose worst n' still satisfies the condition. Small k makes the peak land
// inside (n, n + r) and beyond n + r, so all three branches are exercised.
TEST(BaggingTest, BinarySearchEqualsBruteForceOnSmallN) {
  int checked = 0;
  for (int64_t n : {1, 2, 5, 12, 40, 97}) {
    for (int64_t k : {1, 2, 3, 5, 10, 40}) {
      for (double p_a : {0.51, 0.6, 0.75, 0.9, 0.99, 1.0}) {
        for (double gap : {0.0, 0.1}) {
          const double p_b = std::max(0.0, 1 - p_a - gap);
          int64_t brute = kNotCertified;
          bool monotone = true;
          for (int64_t r = 0; r <= n; ++r) {
            double worst = -1e300;
            for (int64_t np = std::max<int64_t>(0, n - r); np <= n + r; ++np) {
              const double nn = static_cast<double>(n);
              const double v =
                  std::pow(static_cast<double>(np) / nn, static_cast<double>(k)) -
                  2 * std::pow(static_cast<double>(std::max(n, np) - r) / nn, static_cast<double>(k));
              worst = std::max(worst, v);
            }
            const bool certified = worst + 1 - p_a + p_b < 0;
            if (certified) {
              if (brute != r - 1) monotone = false;
              brute = r;
            }
          }
          EXPECT_TRUE(monotone) << "n " << n << " k " << k << " p_a " << p_a;
          EXPECT_EQ(BaggingCertifiedSize(n, k, p_a, p_b), brute)
              << "n " << n << " k " << k << " p_a " << p_a << " p_b " << p_b;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 6 * 6 * 6 * 2);
}

// Small k at large n: the search must not stop at the reference code's cap.
TEST(BaggingTest, NoCapOnTheSearch) { EXPECT_GT(BaggingCertifiedSize(60000, 2, 0.999, 0.001), 1500); }

}  // namespace
}  // namespace warden::secure_learning
