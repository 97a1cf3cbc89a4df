// The RDP accountant against the spec's vectors (docs/specs/secure_learning.md
// §4), its edge cases, the agreement of the fractional series with the
// integer sum, and noise calibration.
#include "components/secure_learning/rdp_core.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace warden::secure_learning {
namespace {

TEST(RdpTest, OneStepVectors) {
  EXPECT_NEAR(SampledGaussianRdp(0.01, 1, 2), 1.718134e-4, 1e-9);
  EXPECT_NEAR(SampledGaussianRdp(0.01, 1, 3), 2.646376e-4, 1e-9);
}

TEST(RdpTest, EdgeCases) {
  EXPECT_EQ(SampledGaussianRdp(0, 1, 5), 0);
  EXPECT_EQ(SampledGaussianRdp(0.1, 0, 5), std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(SampledGaussianRdp(1, 2, 5), 5.0 / 8);
  EXPECT_DOUBLE_EQ(SampledGaussianRdp(1, 2, 2.5), 2.5 / 8);
  EXPECT_TRUE(std::isnan(SampledGaussianRdp(-0.1, 1, 2)));
  EXPECT_TRUE(std::isnan(SampledGaussianRdp(0.1, 1, 1)));
  EXPECT_TRUE(std::isnan(SampledGaussianRdp(0.1, -1, 2)));
}

// At an integer order the fractional series must give the integer sum.
TEST(RdpTest, FractionalSeriesMeetsIntegerSum) {
  for (double q : {0.001, 0.01, 0.1}) {
    for (double sigma : {0.8, 1.1, 4.0}) {
      for (int alpha : {2, 3, 8, 32}) {
        const double integer = SampledGaussianRdp(q, sigma, alpha);
        const double near = SampledGaussianRdp(q, sigma, alpha + 1e-9);
        EXPECT_NEAR(near, integer, 1e-6 * integer + 1e-12) << q << " " << sigma << " " << alpha;
      }
    }
  }
  // And RDP grows with the order.
  double last = 0;
  for (double alpha : DefaultOrders()) {
    const double v = SampledGaussianRdp(0.01, 1, alpha);
    EXPECT_GE(v, last) << alpha;
    last = v;
  }
}

TEST(RdpTest, OrderSets) {
  // 99 + 52 = 151 orders (the spec's "150" miscounts; its Opacus vectors
  // below hold with all 151).
  EXPECT_EQ(DefaultOrders().size(), 151u);
  EXPECT_DOUBLE_EQ(DefaultOrders().front(), 1.1);
  EXPECT_DOUBLE_EQ(DefaultOrders().back(), 63);
  EXPECT_EQ(IntegerOrders().size(), 62u);
}

struct Vector {
  double q, sigma;
  int64_t steps;
  bool integer_orders;
  RdpConversion conversion;
  double epsilon, order;
};

TEST(RdpTest, EpsilonVectors) {
  const double q1 = 256.0 / 60000;
  const auto kC = RdpConversion::kClassic, kI = RdpConversion::kImproved;
  for (const Vector& v :
       {Vector{q1, 1.1, 14062, true, kC, 3.009100, 9}, Vector{q1, 1.1, 14062, true, kI, 2.596981, 8},
        Vector{q1, 1.1, 14062, false, kC, 3.008272, 8.8}, Vector{q1, 1.1, 14062, false, kI, 2.596556, 8.1},
        Vector{0.01, 1, 1000, true, kC, 2.538348, 8}, Vector{0.01, 1, 1000, true, kI, 2.107753, 8},
        Vector{0.01, 1, 1000, false, kC, 2.537983, 7.9}, Vector{0.01, 1, 1000, false, kI, 2.101365, 7.8}}) {
    const PrivacySpent spent = DpSgdEpsilon(
        v.q, v.sigma, v.steps, 1e-5, v.integer_orders ? IntegerOrders() : DefaultOrders(), v.conversion);
    EXPECT_NEAR(spent.epsilon, v.epsilon, 2e-6) << "q " << v.q << " order " << v.order;
    EXPECT_NEAR(spent.order, v.order, 1e-9);
    EXPECT_FALSE(spent.at_boundary);
  }
}

TEST(RdpTest, BoundaryOrderIsFlagged) {
  for (const auto conversion : {RdpConversion::kClassic, RdpConversion::kImproved}) {
    const PrivacySpent spent = DpSgdEpsilon(0.001, 4, 10000, 1e-5, IntegerOrders(), conversion);
    EXPECT_NEAR(spent.epsilon, conversion == RdpConversion::kClassic ? 0.206090 : 0.123265, 2e-6);
    EXPECT_EQ(spent.order, 63);
    EXPECT_TRUE(spent.at_boundary);
  }
}

TEST(RdpTest, BadConversionInput) {
  EXPECT_TRUE(std::isnan(RdpToEpsilon({2, 3}, {0.1}, 1e-5, RdpConversion::kClassic).epsilon));
  EXPECT_TRUE(std::isnan(RdpToEpsilon({2}, {0.1}, 0, RdpConversion::kClassic).epsilon));
  EXPECT_TRUE(std::isnan(RdpToEpsilon({2}, {NAN}, 1e-5, RdpConversion::kClassic).epsilon));
  // NaN orders are skipped, not chosen.
  const PrivacySpent spent = RdpToEpsilon({2, 3, 4}, {NAN, 0.1, NAN}, 1e-5, RdpConversion::kClassic);
  EXPECT_EQ(spent.order, 3);
}

// The calibrated sigma meets the target, and 0.01 less does not.
TEST(RdpTest, NoiseForEpsilon) {
  const double q = 256.0 / 30000;
  const auto steps = static_cast<int64_t>(20 / q);
  for (double target : {0.5, 1.0, 2.0, 8.0}) {
    const double sigma = NoiseForEpsilon(target, q, steps, 1e-5, DefaultOrders(), RdpConversion::kImproved);
    ASSERT_FALSE(std::isnan(sigma)) << target;
    EXPECT_LE(DpSgdEpsilon(q, sigma, steps, 1e-5, DefaultOrders(), RdpConversion::kImproved).epsilon, target);
    EXPECT_GT(DpSgdEpsilon(q, sigma - 0.01, steps, 1e-5, DefaultOrders(), RdpConversion::kImproved).epsilon,
              target);
  }
  // The spec's MNIST setting: sigma 1.1 gives about 3 (classic), so a target of
  // 3.0091 needs sigma within 0.01 above 1.1 - 0.01.
  const double sigma =
      NoiseForEpsilon(3.0091, 256.0 / 60000, 14062, 1e-5, IntegerOrders(), RdpConversion::kClassic);
  EXPECT_NEAR(sigma, 1.1, 0.011);
  EXPECT_TRUE(std::isnan(NoiseForEpsilon(-1, 0.01, 100, 1e-5, DefaultOrders(), RdpConversion::kClassic)));
}

}  // namespace
}  // namespace warden::secure_learning
