#include "components/smoothing/stats_core.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace warden::smoothing {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log(sqrt(2π))
constexpr double kSqrt2Pi = 2.50662827463100050242;

// Stirling's error s(z) = lgamma(z) - [(z - 1/2) log z - z + log sqrt(2π)]
// (Loader, "Fast and accurate computation of binomial probabilities", 2000).
double StirlingError(double z) {
  if (z > 15.0) {
    const double z2 = z * z;
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - 1.0 / (1188 * z2)) / z2) / z2) / z2) / z;
  }
  return std::lgamma(z) - ((z - 0.5) * std::log(z) - z + kLogSqrt2Pi);
}

// Loader's deviance term bd0(x, m) = x log(x / m) + m - x, accurate when x ≈ m.
double Bd0(double x, double m) {
  if (std::fabs(x - m) < 0.1 * (x + m)) {
    double v = (x - m) / (x + m);
    double s = (x - m) * v;
    double ej = 2 * x * v;
    const double v2 = v * v;
    for (int j = 1; j < 1000; ++j) {
      ej *= v2;
      const double next = s + ej / (2 * j + 1);
      if (next == s) return next;
      s = next;
    }
    return s;
  }
  return x * std::log(x / m) + m - x;
}

// log of x^a (1-x)^b / B(a, b), without the cancellation of the naive form when
// a and b are large (the deviance form of Loader / DiDonato–Morris).
double LogBetaPowerTerms(double x, double a, double b) {
  const double n = a + b;
  const double y = 1.0 - x;
  return -Bd0(a, n * x) - Bd0(b, n * y) + 0.5 * std::log(a * b / n) - kLogSqrt2Pi +
         StirlingError(n) - StirlingError(a) - StirlingError(b);
}

// Continued fraction for I_x(a, b) (modified Lentz); converges fast for
// x < (a + 1) / (a + b + 2).
double BetaContinuedFraction(double x, double a, double b) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  const int max_iterations = 100000 + static_cast<int>(10 * std::sqrt(std::max(a, b)));
  for (int m = 1; m <= max_iterations; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < kEps) break;
  }
  return h;
}

// I_x(a, b) when the continued fraction is the right tool (x below the mean).
double LowerIncompleteBeta(double x, double a, double b) {
  return std::exp(LogBetaPowerTerms(x, a, b)) * BetaContinuedFraction(x, a, b) / a;
}

// The density of Beta(a, b) at x in (0, 1).
double BetaDensity(double x, double a, double b) {
  return std::exp(LogBetaPowerTerms(x, a, b)) / (x * (1.0 - x));
}

// Solves I_x(a, b) = p for p in (0, 1/2]: Newton on log I_x, safeguarded by a
// bisection bracket (geometric while the bracket spans decades).
double InverseLowerTail(double p, double a, double b) {
  double lo = 0.0, hi = 1.0;
  // Starting point: the normal approximation, or the small-x tail x ≈ (p a B)^(1/a).
  const double n = a + b;
  const double mean = a / n;
  const double sd = std::sqrt(a * b / (n * n * (n + 1)));
  double x = mean + sd * NormalQuantile(p);
  if (!(x > 0.0 && x < 1.0)) {
    const double log_beta = std::lgamma(a) + std::lgamma(b) - std::lgamma(n);
    x = std::exp((std::log(p) + std::log(a) + log_beta) / a);
    if (!(x > 0.0 && x < 1.0)) x = 0.5 * mean;
  }
  const double log_p = std::log(p);
  for (int iter = 0; iter < 400; ++iter) {
    const double value = RegularizedIncompleteBeta(x, a, b);
    if (value == p) return x;
    if (value < p) {
      lo = x;
    } else {
      hi = x;
    }
    double next = kNaN;
    if (value > 0.0) {
      const double density = BetaDensity(x, a, b);
      if (density > 0.0 && std::isfinite(density)) {
        next = x - (std::log(value) - log_p) * value / density;
      }
    }
    if (!(next > lo && next < hi)) {
      next = (lo > 0.0 && hi / lo > 4.0) ? std::sqrt(lo * hi) : 0.5 * (lo + hi);
    }
    if (std::fabs(next - x) <= 4e-16 * x || next == lo || next == hi) return next;
    x = next;
  }
  return x;
}

// P(X = j) for X ~ Binomial(n, p), 0 <= j <= n (Loader's saddle-point form).
double BinomialPmf(int64_t j, int64_t n, double p) {
  const double q = 1.0 - p;
  if (p == 0.0) return j == 0 ? 1.0 : 0.0;
  if (q == 0.0) return j == n ? 1.0 : 0.0;
  if (j == 0) return std::exp(static_cast<double>(n) * std::log1p(-p));
  if (j == n) return std::exp(static_cast<double>(n) * std::log(p));
  const double dn = static_cast<double>(n), dj = static_cast<double>(j), dk = dn - dj;
  const double log_pmf = StirlingError(dn) - StirlingError(dj) - StirlingError(dk) -
                         Bd0(dj, dn * p) - Bd0(dk, dn * q);
  return std::exp(log_pmf) * std::sqrt(dn / (2 * M_PI * dj * dk));
}

}  // namespace

double NormalCdf(double x) { return 0.5 * std::erfc(-x / M_SQRT2); }

double NormalQuantile(double p) {
  if (std::isnan(p) || p < 0.0 || p > 1.0) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  if (p > 0.5) return -NormalQuantile(1.0 - p);  // 1 - p is exact here (Sterbenz)
  if (p == 0.5) return 0.0;
  // Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4), then Newton's method on
  // log Φ(x) = log p, with Φ from erfc (accurate to the last bits in the tail).
  // The log form keeps Newton stable far in the tail, where Φ changes by orders
  // of magnitude per unit of x.
  const double t = std::sqrt(-2.0 * std::log(p));
  double x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
                       (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  const double log_p = std::log(p);
  for (int iter = 0; iter < 50; ++iter) {
    const double cdf = NormalCdf(x);
    const double density = std::exp(-0.5 * x * x) / kSqrt2Pi;
    const double step = (std::log(cdf) - log_p) * cdf / density;
    x -= step;
    if (std::fabs(step) <= 1e-16 * std::fabs(x)) break;
  }
  return x;
}

double RegularizedIncompleteBeta(double x, double a, double b) {
  if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0)) return kNaN;
  if (x == 0.0) return 0.0;
  if (x == 1.0) return 1.0;
  if (x < (a + 1.0) / (a + b + 2.0)) return LowerIncompleteBeta(x, a, b);
  return 1.0 - LowerIncompleteBeta(1.0 - x, b, a);
}

double InverseRegularizedIncompleteBeta(double p, double a, double b) {
  if (!(a > 0.0) || !(b > 0.0) || !(p >= 0.0 && p <= 1.0)) return kNaN;
  if (p == 0.0) return 0.0;
  if (p == 1.0) return 1.0;
  if (p > 0.5) return 1.0 - InverseLowerTail(1.0 - p, b, a);  // I_x(a,b) = 1 - I_{1-x}(b,a)
  return InverseLowerTail(p, a, b);
}

double ClopperPearsonLower(int64_t k, int64_t n, double alpha) {
  if (n < 1 || k < 0 || k > n || !(alpha > 0.0 && alpha < 1.0)) return kNaN;
  if (k == 0) return 0.0;
  return InverseRegularizedIncompleteBeta(alpha, static_cast<double>(k),
                                          static_cast<double>(n - k + 1));
}

double ClopperPearsonUpper(int64_t k, int64_t n, double alpha) {
  if (n < 1 || k < 0 || k > n || !(alpha > 0.0 && alpha < 1.0)) return kNaN;
  if (k == n) return 1.0;
  // The (1 - alpha)-quantile of Beta(k + 1, n - k) is 1 - the alpha-quantile of
  // Beta(n - k, k + 1): no rounding of 1 - alpha.
  return 1.0 - InverseRegularizedIncompleteBeta(alpha, static_cast<double>(n - k),
                                                static_cast<double>(k + 1));
}

double BinomialCdf(int64_t k, int64_t n, double p) {
  if (n < 0 || !(p >= 0.0 && p <= 1.0)) return kNaN;
  if (k < 0) return 0.0;
  if (k >= n) return 1.0;
  // P(X <= k) = I_{1-p}(n - k, k + 1).
  return RegularizedIncompleteBeta(1.0 - p, static_cast<double>(n - k), static_cast<double>(k + 1));
}

double BinomialSurvival(int64_t k, int64_t n, double p) {
  if (n < 0 || !(p >= 0.0 && p <= 1.0)) return kNaN;
  if (k <= 0) return 1.0;
  if (k > n) return 0.0;
  // P(X >= k) = I_p(k, n - k + 1).
  return RegularizedIncompleteBeta(p, static_cast<double>(k), static_cast<double>(n - k + 1));
}

double BinomialTestTwoSided(int64_t k, int64_t n, double p) {
  if (n < 1 || k < 0 || k > n || !(p >= 0.0 && p <= 1.0)) return kNaN;
  const double threshold = BinomialPmf(k, n, p) * (1.0 + 1e-7);
  const double mean = static_cast<double>(n) * p;
  if (static_cast<double>(k) == mean) return 1.0;
  double pvalue;
  if (static_cast<double>(k) < mean) {
    // Smallest j >= ceil(mean) with pmf(j) <= threshold (pmf decreases there).
    int64_t lo = static_cast<int64_t>(std::ceil(mean)), hi = n + 1;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (BinomialPmf(mid, n, p) <= threshold) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    pvalue = BinomialCdf(k, n, p) + (lo <= n ? BinomialSurvival(lo, n, p) : 0.0);
  } else {
    // Largest j <= floor(mean) with pmf(j) <= threshold (pmf increases there).
    int64_t lo = -1, hi = static_cast<int64_t>(std::floor(mean));
    while (lo < hi) {
      const int64_t mid = hi - (hi - lo) / 2;
      if (BinomialPmf(mid, n, p) <= threshold) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    pvalue = (lo >= 0 ? BinomialCdf(lo, n, p) : 0.0) + BinomialSurvival(k, n, p);
  }
  return std::min(1.0, pvalue);
}

}  // namespace warden::smoothing
