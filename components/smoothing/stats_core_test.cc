#include "components/smoothing/stats_core.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace warden::smoothing {
namespace {

// Relative error, with an absolute floor for exact zeros.
double RelativeError(double got, double want) {
  if (want == 0.0) return std::fabs(got);
  return std::fabs(got - want) / std::fabs(want);
}

// Every row of testdata/stats_reference.tsv: 50-digit values from mpmath
// (make_stats_reference.py documents how each was computed).
TEST(StatsCoreTest, MatchesMpmathReferencesToOneInABillion) {
  std::ifstream in("components/smoothing/testdata/stats_reference.tsv");
  ASSERT_TRUE(in) << "reference file missing";
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, s1, s2, s3, s_want;
    std::getline(fields, name, '\t');
    std::getline(fields, s1, '\t');
    std::getline(fields, s2, '\t');
    std::getline(fields, s3, '\t');
    std::getline(fields, s_want, '\t');
    const double a1 = std::strtod(s1.c_str(), nullptr);
    const double a2 = s2 == "-" ? 0 : std::strtod(s2.c_str(), nullptr);
    const double a3 = s3 == "-" ? 0 : std::strtod(s3.c_str(), nullptr);
    const double want = std::strtod(s_want.c_str(), nullptr);
    double got = NAN;
    if (name == "normal_cdf") {
      got = NormalCdf(a1);
    } else if (name == "normal_quantile") {
      got = NormalQuantile(a1);
    } else if (name == "ibeta") {
      got = RegularizedIncompleteBeta(a1, a2, a3);
    } else if (name == "ibeta_inv") {
      got = InverseRegularizedIncompleteBeta(a1, a2, a3);
    } else if (name == "cp_lower") {
      got = ClopperPearsonLower(static_cast<int64_t>(a1), static_cast<int64_t>(a2), a3);
    } else if (name == "cp_upper") {
      got = ClopperPearsonUpper(static_cast<int64_t>(a1), static_cast<int64_t>(a2), a3);
    } else if (name == "binom_two_sided") {
      got = BinomialTestTwoSided(static_cast<int64_t>(a1), static_cast<int64_t>(a2), a3);
    } else {
      FAIL() << "unknown function in reference file: " << name;
    }
    EXPECT_LE(RelativeError(got, want), 1e-9)
        << name << "(" << s1 << ", " << s2 << ", " << s3 << ") = " << got << ", want " << s_want;
    ++rows;
  }
  EXPECT_GT(rows, 250);
}

TEST(StatsCoreTest, EdgeCasesAndDomain) {
  EXPECT_EQ(NormalQuantile(0.0), -INFINITY);
  EXPECT_EQ(NormalQuantile(1.0), INFINITY);
  EXPECT_TRUE(std::isnan(NormalQuantile(-0.1)));
  EXPECT_TRUE(std::isnan(NormalQuantile(NAN)));
  EXPECT_EQ(NormalQuantile(0.5), 0.0);
  EXPECT_TRUE(std::isnan(RegularizedIncompleteBeta(0.5, 0.0, 1.0)));
  EXPECT_TRUE(std::isnan(RegularizedIncompleteBeta(1.5, 1.0, 1.0)));
  EXPECT_EQ(RegularizedIncompleteBeta(0.0, 2.0, 3.0), 0.0);
  EXPECT_EQ(RegularizedIncompleteBeta(1.0, 2.0, 3.0), 1.0);
  // k = 0 and k = n are exact: 0, and alpha^(1/n) for the lower bound.
  EXPECT_EQ(ClopperPearsonLower(0, 100, 0.001), 0.0);
  EXPECT_NEAR(ClopperPearsonLower(100, 100, 0.001), std::pow(0.001, 1.0 / 100), 1e-15);
  EXPECT_EQ(ClopperPearsonUpper(100, 100, 0.001), 1.0);
  EXPECT_TRUE(std::isnan(ClopperPearsonLower(5, 4, 0.001)));
  EXPECT_TRUE(std::isnan(ClopperPearsonLower(1, 4, 0.0)));
  EXPECT_TRUE(std::isnan(BinomialTestTwoSided(3, 0, 0.5)));
}

TEST(StatsCoreTest, InverseIsARightInverseAcrossScales) {
  for (double a : {1.0, 3.0, 40.0, 1e3, 1e5, 1e7}) {
    for (double b : {1.0, 7.0, 1e4, 1e7}) {
      for (double p : {1e-12, 1e-6, 0.01, 0.3, 0.5, 0.9, 0.999999}) {
        const double x = InverseRegularizedIncompleteBeta(p, a, b);
        ASSERT_TRUE(x >= 0.0 && x <= 1.0) << a << " " << b << " " << p;
        EXPECT_LE(RelativeError(RegularizedIncompleteBeta(x, a, b), p), 1e-8)
            << "a=" << a << " b=" << b << " p=" << p << " x=" << x;
      }
    }
  }
}

TEST(StatsCoreTest, BinomialTailsAreComplementary) {
  for (int64_t n : {1, 17, 1000, 1000000}) {
    for (double p : {0.001, 0.3, 0.5, 0.97}) {
      for (int64_t k : {int64_t{0}, n / 3, n / 2, n}) {
        const double total = BinomialCdf(k, n, p) + BinomialSurvival(k + 1, n, p);
        EXPECT_NEAR(total, 1.0, 1e-12) << n << " " << p << " " << k;
      }
    }
  }
}

}  // namespace
}  // namespace warden::smoothing
