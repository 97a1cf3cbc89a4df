// Sequential certification from counts: the schedule, each stopping rule, and
// the error rate of the decisions under optional stopping, simulated with
// binomial counts of known p_A (the torch-side check with a real sampler is in
// sampler_test.cc).
#include "components/smoothing/sequential_core.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "components/smoothing/stats_core.h"

namespace warden::smoothing {
namespace {

SequentialSchedule Schedule(int64_t first, int64_t budget, int64_t granule, double alpha) {
  SequentialSchedule s;
  std::string error;
  EXPECT_TRUE(MakeDoublingSchedule(first, budget, granule, alpha, &s, &error)) << error;
  return s;
}

TEST(ScheduleTest, DoublesToTheBudgetAndSpendsAlpha) {
  const SequentialSchedule s = Schedule(1000, 100000, 1000, 0.001);
  EXPECT_EQ(s.checkpoints, (std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 64000, 100000}));
  ASSERT_EQ(s.alphas.size(), s.checkpoints.size());
  EXPECT_NEAR(std::accumulate(s.alphas.begin(), s.alphas.end(), 0.0), 0.001, 1e-15);
  EXPECT_DOUBLE_EQ(s.alphas.back(), 0.0005);
  EXPECT_DOUBLE_EQ(s.alphas.front(), 0.0005 / 7);
}

TEST(ScheduleTest, RoundsToBatchesAndHandlesSmallBudgets) {
  // Checkpoints end on batch boundaries (multiples of 300), strictly increasing.
  EXPECT_EQ(Schedule(1000, 10000, 300, 0.01).checkpoints,
            (std::vector<int64_t>{1200, 2100, 4200, 8100, 10000}));
  // A batch larger than the doubling step merges checkpoints.
  EXPECT_EQ(Schedule(100, 1000, 400, 0.01).checkpoints, (std::vector<int64_t>{400, 800, 1000}));
  // first == budget: one checkpoint with all of alpha (fixed-n CERTIFY).
  const SequentialSchedule one = Schedule(500, 500, 100, 0.01);
  EXPECT_EQ(one.checkpoints, (std::vector<int64_t>{500}));
  EXPECT_EQ(one.alphas, (std::vector<double>{0.01}));
  SequentialSchedule s;
  std::string error;
  EXPECT_FALSE(MakeDoublingSchedule(0, 100, 1, 0.01, &s, &error));
  EXPECT_FALSE(MakeDoublingSchedule(200, 100, 1, 0.01, &s, &error));
  EXPECT_FALSE(MakeDoublingSchedule(10, 100, 0, 0.01, &s, &error));
  EXPECT_FALSE(MakeDoublingSchedule(10, 100, 1, 1.0, &s, &error));
  EXPECT_NE(error.find("alpha"), std::string::npos);
  // A huge budget does not overflow the doubling.
  EXPECT_TRUE(MakeDoublingSchedule(1, INT64_MAX, 1, 0.01, &s, &error));
  EXPECT_EQ(s.checkpoints.back(), INT64_MAX);
  EXPECT_EQ(s.checkpoints.size(), 64u);
}

// Feeds counts k = round(rate · n) at each checkpoint until done.
SequentialResult RunAtRate(SequentialCertifier c, double rate) {
  while (!c.done()) c.Observe(std::llround(rate * static_cast<double>(c.next_samples())));
  return c.result();
}

TEST(SequentialCertifierTest, AtRadiusStopsEarlyOnClearCases) {
  const SequentialSchedule s = Schedule(1000, 100000, 1000, 0.001);
  // p_A = 1 against p* = Φ(0.25 / 0.5) = 0.69: certified at the first checkpoint.
  SequentialResult r = RunAtRate(SequentialCertifier::AtRadius(s, 3, 0.5, 0.25), 1.0);
  EXPECT_EQ(r.predicted_class, 3);
  EXPECT_DOUBLE_EQ(r.radius, 0.25);
  EXPECT_EQ(r.samples, 1000);
  EXPECT_TRUE(r.decided);
  // p_A = 0.5 against 0.69: not certified at the first checkpoint.
  r = RunAtRate(SequentialCertifier::AtRadius(s, 3, 0.5, 0.25), 0.5);
  EXPECT_EQ(r.predicted_class, kAbstain);
  EXPECT_EQ(r.radius, 0.0);
  EXPECT_EQ(r.samples, 1000);
  EXPECT_TRUE(r.decided);
  // p_A right at p*: undecided until the budget, then not certified.
  r = RunAtRate(SequentialCertifier::AtRadius(s, 3, 0.5, 0.25), NormalCdf(0.5));
  EXPECT_EQ(r.predicted_class, kAbstain);
  EXPECT_EQ(r.samples, 100000);
  EXPECT_EQ(r.checkpoints, 8);
  EXPECT_FALSE(r.decided);
  // A radius no checkpoint can certify (all 100,000 agreeing certify at most
  // 0.5 Φ⁻¹(0.0005^(1/100000)) = 1.89): undecided at the first checkpoint.
  r = RunAtRate(SequentialCertifier::AtRadius(s, 3, 0.5, 2.0), 1.0);
  EXPECT_EQ(r.predicted_class, kAbstain);
  EXPECT_EQ(r.samples, 1000);
  EXPECT_FALSE(r.decided);
  // Within reach only at the budget: all samples agree, so it runs there and certifies.
  r = RunAtRate(SequentialCertifier::AtRadius(s, 3, 0.5, 1.88), 1.0);
  EXPECT_EQ(r.predicted_class, 3);
  EXPECT_EQ(r.samples, 100000);
  // Closer calls take more samples.
  const SequentialResult near = RunAtRate(SequentialCertifier::AtRadius(s, 1, 0.5, 0.25), 0.72);
  const SequentialResult far = RunAtRate(SequentialCertifier::AtRadius(s, 1, 0.5, 0.25), 0.8);
  EXPECT_EQ(near.predicted_class, 1);
  EXPECT_EQ(far.predicted_class, 1);
  EXPECT_GT(near.samples, far.samples);
}

TEST(SequentialCertifierTest, AtRadiusZeroIsACorrectPrediction) {
  const SequentialSchedule s = Schedule(100, 10000, 100, 0.001);
  EXPECT_EQ(RunAtRate(SequentialCertifier::AtRadius(s, 2, 0.25, 0.0), 0.9).predicted_class, 2);
  EXPECT_EQ(RunAtRate(SequentialCertifier::AtRadius(s, 2, 0.25, 0.0), 0.3).predicted_class, kAbstain);
}

TEST(SequentialCertifierTest, RefusesBadInput) {
  const SequentialSchedule s = Schedule(100, 1000, 100, 0.01);
  // No class (selection abstained), a negative or NaN radius, sigma <= 0: done, nothing certified.
  EXPECT_TRUE(SequentialCertifier::AtRadius(s, kAbstain, 0.5, 0.1).done());
  EXPECT_TRUE(SequentialCertifier::AtRadius(s, 0, 0.5, -0.1).done());
  EXPECT_TRUE(SequentialCertifier::AtRadius(s, 0, 0.5, std::nan("")).done());
  EXPECT_TRUE(SequentialCertifier::Adaptive(s, 0, 0.0, 0.05).done());
  EXPECT_TRUE(SequentialCertifier::Adaptive(SequentialSchedule{}, 0, 0.5, 0.05).done());
  EXPECT_EQ(SequentialCertifier::Adaptive(s, kAbstain, 0.5, 0.05).result().predicted_class, kAbstain);
  // A count larger than the samples ends uncertified.
  SequentialCertifier c = SequentialCertifier::Adaptive(s, 0, 0.5, 0.05);
  c.Observe(101);
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.result().predicted_class, kAbstain);
  EXPECT_EQ(c.result().radius, 0.0);
}

TEST(SequentialCertifierTest, AdaptiveStopsWhenTheRadiusPlateaus) {
  const SequentialSchedule s = Schedule(1000, 100000, 1000, 0.001);
  // p_A = 0.9: the bound is near 0.9 after a few thousand samples; more buys < 5%.
  const SequentialResult plateau = RunAtRate(SequentialCertifier::Adaptive(s, 4, 0.25, 0.05), 0.9);
  EXPECT_EQ(plateau.predicted_class, 4);
  EXPECT_LT(plateau.samples, 100000);
  EXPECT_LE(plateau.radius, 0.25 * NormalQuantile(0.9));
  EXPECT_GE(plateau.radius, 0.95 * 0.25 * NormalQuantile(0.9) * 0.9);
  // The radius is the bound at the checkpoint where it stopped.
  EXPECT_DOUBLE_EQ(plateau.radius, 0.25 * NormalQuantile(ClopperPearsonLower(
                                              std::llround(0.9 * plateau.samples), plateau.samples,
                                              s.alphas[plateau.checkpoints - 1])));
  // p_A = 1 (all samples agree): the radius only grows with n, 5–10% per doubling
  // (σ Φ⁻¹(α_j^(1/n))). A 2% tolerance runs to the budget; 5% stops at 64,000,
  // where the short last step (×1.56, at α/2) forecasts +4%; 10% stops sooner.
  const SequentialResult capped = RunAtRate(SequentialCertifier::Adaptive(s, 4, 0.25, 0.02), 1.0);
  EXPECT_EQ(capped.samples, 100000);
  EXPECT_NEAR(capped.radius, 0.25 * NormalQuantile(std::pow(0.0005, 1.0 / 100000)), 1e-9);
  const SequentialResult capped5 = RunAtRate(SequentialCertifier::Adaptive(s, 4, 0.25, 0.05), 1.0);
  EXPECT_EQ(capped5.samples, 64000);
  EXPECT_NEAR(capped5.radius, 0.25 * NormalQuantile(std::pow(0.0005 / 7, 1.0 / 64000)), 1e-9);
  EXPECT_LT(RunAtRate(SequentialCertifier::Adaptive(s, 4, 0.25, 0.10), 1.0).samples, 64000);
  // Tolerance 0 never stops early on a growing radius.
  EXPECT_EQ(RunAtRate(SequentialCertifier::Adaptive(s, 4, 0.25, 0.0), 0.99).samples, 100000);
  // p_A = 0.3 for the top class: abstain at the first checkpoint.
  const SequentialResult abstain = RunAtRate(SequentialCertifier::Adaptive(s, 4, 0.25, 0.05), 0.3);
  EXPECT_EQ(abstain.predicted_class, kAbstain);
  EXPECT_EQ(abstain.samples, 1000);
}

// The guarantee under optional stopping: with binomial counts of known p_A,
// certifying at a radius just outside the true one (p_A slightly below p*)
// happens with probability <= alpha, and the adaptive radius exceeds the true
// σ Φ⁻¹(p_A) with probability <= alpha. alpha = 0.05 so that errors are
// frequent enough to count; 4000 repetitions each.
TEST(SequentialCertifierTest, ErrorRateUnderOptionalStoppingIsAtMostAlpha) {
  constexpr double kAlpha = 0.05, kSigma = 0.5;
  constexpr int kReps = 4000;
  const SequentialSchedule s = Schedule(100, 12800, 100, kAlpha);
  std::mt19937_64 rng(12345);
  for (double p_a : {0.6, 0.8, 0.95}) {
    const double true_radius = kSigma * NormalQuantile(p_a);
    int false_certified = 0, too_large = 0, certified_inside = 0;
    for (int rep = 0; rep < kReps; ++rep) {
      // One sample path, shared by the three procedures (as in the sampler).
      std::vector<int64_t> prefix;
      int64_t k = 0, n = 0;
      for (int64_t checkpoint : s.checkpoints) {
        k += std::binomial_distribution<int64_t>(checkpoint - n, p_a)(rng);
        n = checkpoint;
        prefix.push_back(k);
      }
      auto run = [&](SequentialCertifier c) {
        for (size_t j = 0; !c.done(); ++j) c.Observe(prefix[j]);
        return c.result();
      };
      false_certified +=
          run(SequentialCertifier::AtRadius(s, 0, kSigma, true_radius * 1.01)).predicted_class == 0;
      certified_inside +=
          run(SequentialCertifier::AtRadius(s, 0, kSigma, true_radius * 0.8)).predicted_class == 0;
      too_large += run(SequentialCertifier::Adaptive(s, 0, kSigma, 0.05)).radius > true_radius;
    }
    const double lo = ClopperPearsonLower(false_certified, kReps, 0.025);
    const double hi = ClopperPearsonUpper(false_certified, kReps, 0.025);
    std::printf(
        "p_A %.2f: certified just outside %d/%d (95%% CI [%.4f, %.4f]), adaptive radius too large %d/%d, "
        "certified at 0.8 R %d/%d\n",
        p_a, false_certified, kReps, lo, hi, too_large, kReps, certified_inside, kReps);
    EXPECT_LE(static_cast<double>(false_certified) / kReps, kAlpha) << p_a;
    EXPECT_LE(static_cast<double>(too_large) / kReps, kAlpha) << p_a;
    // And the test has power: well inside the radius it certifies almost always.
    EXPECT_GE(certified_inside, kReps * 9 / 10) << p_a;
  }
}

}  // namespace
}  // namespace warden::smoothing
