#include "components/smoothing/certify_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "components/smoothing/stats_core.h"

namespace warden::smoothing {
namespace {

TEST(CertifyCoreTest, CertifyMatchesCohensFormula) {
  // Cohen's CERTIFY with n = 100000, 99000 hits, alpha = 0.001, sigma = 0.5:
  // radius = 0.5 * Φ⁻¹(CP lower), checked against the stats core directly.
  const std::vector<int64_t> selection = {1, 97, 2};
  const std::vector<int64_t> estimation = {600, 99000, 400};
  CertifyResult r = Certify(selection, estimation, 0.5, 0.001);
  EXPECT_EQ(r.predicted_class, 1);
  const double lower = ClopperPearsonLower(99000, 100000, 0.001);
  EXPECT_DOUBLE_EQ(r.p_a_lower, lower);
  EXPECT_DOUBLE_EQ(r.radius_l2, 0.5 * NormalQuantile(lower));
  // scipy: 0.5 * norm.ppf(beta.ppf(0.001, 99000, 1001)) = 1.144999977606883
  EXPECT_NEAR(r.radius_l2, 1.144999977606883, 1e-12);
}

TEST(CertifyCoreTest, CertifyAbstainsAtOrBelowOneHalf) {
  CertifyResult r = Certify({10, 90}, {5000, 5000}, 0.25, 0.001);
  EXPECT_EQ(r.predicted_class, kAbstain);
  EXPECT_EQ(r.radius_l2, 0.0);
  EXPECT_LT(r.p_a_lower, 0.5);
  // Selection picks class 0, but estimation contradicts it: abstain.
  EXPECT_EQ(Certify({90, 10}, {100, 9900}, 0.25, 0.001).predicted_class, kAbstain);
  // Malformed input abstains rather than crashing.
  EXPECT_EQ(Certify({}, {}, 0.25, 0.001).predicted_class, kAbstain);
  EXPECT_EQ(Certify({1, 2}, {1, 2, 3}, 0.25, 0.001).predicted_class, kAbstain);
  EXPECT_EQ(Certify({1, 2}, {0, 0}, 0.25, 0.001).predicted_class, kAbstain);
}

TEST(CertifyCoreTest, PredictUsesTheTwoSidedBinomialTest) {
  PredictResult clear = Predict({3, 90, 7}, 0.001);
  EXPECT_EQ(clear.predicted_class, 1);
  EXPECT_LT(clear.p_value, 1e-15);
  PredictResult close = Predict({48, 52, 0}, 0.001);
  EXPECT_EQ(close.predicted_class, kAbstain);
  EXPECT_DOUBLE_EQ(close.p_value, BinomialTestTwoSided(52, 100, 0.5));
  EXPECT_EQ(Predict({}, 0.01).predicted_class, kAbstain);
  EXPECT_EQ(Predict({0, 0}, 0.01).predicted_class, kAbstain);
  EXPECT_EQ(Predict({5}, 0.1).predicted_class, 0);  // one class: 5 vs 0
  EXPECT_EQ(ArgMax({4, 9, 9}), 1);                  // ties: lowest index
}

// A base classifier with known p_A: f(x + ε) = 1 iff w·(x + ε) > 0 with ‖w‖ = 1,
// so p_A = Φ(w·x / σ) and the exact smoothed radius is |w·x|. Sampled counts
// must certify a radius within Monte-Carlo confidence of the closed form.
TEST(CertifyCoreTest, LinearClassifierOnGaussianNoiseMatchesClosedForm) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  const double sigma = 0.5, alpha = 0.001;
  for (double margin : {0.1, 0.4, 0.9, -0.3}) {
    const double p_a = NormalCdf(std::fabs(margin) / sigma);
    auto sample = [&](int64_t n) {
      std::vector<int64_t> counts(2, 0);
      for (int64_t i = 0; i < n; ++i) {
        const bool positive = margin + sigma * normal(rng) > 0;  // w·ε ~ N(0, σ²)
        ++counts[positive ? 1 : 0];
      }
      return counts;
    };
    const int64_t n = 100000;
    CertifyResult r = Certify(sample(100), sample(n), sigma, alpha);
    ASSERT_EQ(r.predicted_class, margin > 0 ? 1 : 0) << margin;
    // The certified radius is a lower bound on the exact one, and not far below:
    // p_A lower is within ~4 binomial standard deviations of p_A.
    const double exact = std::fabs(margin);
    EXPECT_LE(r.radius_l2, exact + 1e-12) << margin;
    const double sd = std::sqrt(p_a * (1 - p_a) / n);
    const double loosest = sigma * NormalQuantile(p_a - 5 * sd);
    EXPECT_GE(r.radius_l2, loosest) << margin;
  }
  // Margin 0: p_A = 1/2 exactly, so CERTIFY must abstain.
  std::vector<int64_t> half = {0, 0};
  for (int i = 0; i < 100000; ++i) ++half[normal(rng) > 0 ? 1 : 0];
  EXPECT_EQ(Certify(half, half, sigma, alpha).predicted_class, kAbstain);
}

TEST(CertifyCoreTest, PixelsHolmCorrectionAndAbstain) {
  // Three pixels, two classes, n = 1000: a sure pixel, a borderline one and a
  // coin flip. tau = 0.75.
  const std::vector<int64_t> counts = {998, 2, 790, 210, 500, 500};
  std::string error;
  PixelCertificate cert = CertifyPixels(counts, 3, 2, 0.25, 0.001, 0.75, &error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(cert.labels[0], 0);
  EXPECT_EQ(cert.labels[2], kAbstain);
  EXPECT_EQ(cert.radii[2], 0.0);
  // Pixel 1: P(Bin(1000, .75) >= 790) ≈ 1.6e-3 > alpha / 2: not certified.
  EXPECT_GT(BinomialSurvival(790, 1000, 0.75), 0.001 / 2);
  EXPECT_EQ(cert.labels[1], kAbstain);
  EXPECT_EQ(cert.num_certified, 1);
  EXPECT_GE(cert.radii[0], 0.25 * NormalQuantile(0.75));

  EXPECT_TRUE(CertifyPixels({1, 2, 3}, 2, 2, 0.25, 0.001, 0.75, &error).labels.empty());
  EXPECT_FALSE(error.empty());
  EXPECT_TRUE(CertifyPixels(counts, 3, 2, 0.25, 0.001, 0.4, &error).labels.empty());
}

// Holm by its definition, without the step-down loop: pixel i is rejected iff
// every p-value no larger than p_i (itself included) passes its rank's level.
std::vector<bool> HolmReference(const std::vector<double>& p, double alpha) {
  const size_t m = p.size();
  std::vector<double> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<bool> reject(m);
  for (size_t i = 0; i < m; ++i) {
    bool all = true;
    for (size_t r = 0; r < m && sorted[r] <= p[i]; ++r) all = all && sorted[r] <= alpha / (m - r);
    reject[i] = all;
  }
  return reject;
}

TEST(CertifyCoreTest, HolmMatchesItsDefinitionAndBonferroniIsASubset) {
  std::mt19937 rng(7);
  const int64_t n = 60, k = 3;
  const double alpha = 0.05, tau = 0.6;
  int holm_more = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t m = 2 + trial % 7;
    std::vector<int64_t> counts(m * k, 0);
    std::vector<double> p(m);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t top = std::uniform_int_distribution<int64_t>(40, n)(rng);  // distinct p-values
      counts[i * k] = top;
      counts[i * k + 1] = n - top;
      p[i] = BinomialSurvival(top, n, tau);
    }
    std::string error;
    const PixelCertificate holm = CertifyPixels(counts, m, k, 0.25, alpha, tau, &error);
    const PixelCertificate bonf =
        CertifyPixels(counts, m, k, 0.25, alpha, tau, &error, PixelCorrection::kBonferroni);
    ASSERT_TRUE(error.empty()) << error;
    const std::vector<bool> expect = HolmReference(p, alpha);
    for (int64_t i = 0; i < m; ++i) {
      EXPECT_EQ(holm.labels[i] != kAbstain, expect[i]) << "trial " << trial << " pixel " << i;
      EXPECT_EQ(bonf.labels[i] != kAbstain, p[i] <= alpha / m) << "trial " << trial << " pixel " << i;
      if (bonf.labels[i] != kAbstain) {
        EXPECT_NE(holm.labels[i], kAbstain);
        EXPECT_LE(bonf.radii[i], holm.radii[i] + 1e-12);  // a stricter level, a smaller bound
      }
    }
    holm_more += holm.num_certified > bonf.num_certified;
  }
  EXPECT_GT(holm_more, 0);  // Holm certifies strictly more somewhere
}

}  // namespace
}  // namespace warden::smoothing
