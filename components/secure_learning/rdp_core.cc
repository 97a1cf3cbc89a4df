#include "components/secure_learning/rdp_core.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace warden::secure_learning {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// log(e^a + e^b).
double LogAdd(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  const double hi = std::max(a, b), lo = std::min(a, b);
  return hi + std::log1p(std::exp(lo - hi));
}

// log(e^a - e^b) for a >= b; -inf when they are equal (or rounding made b > a).
double LogSub(double a, double b) {
  if (b == -kInf) return a;
  if (b >= a) return -kInf;
  return a + std::log1p(-std::exp(b - a));
}

// log(erfc(x)), also where erfc underflows (the asymptotic series, x > 20).
double LogErfc(double x) {
  if (x < 20) return std::log(std::erfc(x));
  const double x2 = x * x;
  const double series = 1 - 1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2);
  return -x2 - std::log(x) - 0.5 * std::log(M_PI) + std::log(series);
}

// log A_alpha for an integer order.
double LogAInteger(double q, double sigma, int64_t alpha) {
  double log_a = -kInf;
  const double a = static_cast<double>(alpha);
  for (int64_t i = 0; i <= alpha; ++i) {
    const double di = static_cast<double>(i);
    const double log_binom = std::lgamma(a + 1) - std::lgamma(di + 1) - std::lgamma(a - di + 1);
    log_a = LogAdd(log_a, log_binom + di * std::log(q) + (a - di) * std::log1p(-q) +
                              (di * di - di) / (2 * sigma * sigma));
  }
  return log_a;
}

// log A_alpha for a fractional order: the two series of Mironov, Talwar, Zhang
// (2019, §3.3) split at z0, with the generalised binomial C(alpha, i) carried
// as a log-magnitude and a sign.
double LogAFractional(double q, double sigma, double alpha) {
  const double s2 = sigma * sigma;
  const double z0 = s2 * std::log(1 / q - 1) + 0.5;
  const double log_q = std::log(q), log_1q = std::log1p(-q);
  double log_a0 = -kInf, log_a1 = -kInf;
  double log_coef = 0;  // log |C(alpha, 0)|
  bool positive = true;
  for (int64_t i = 0; i < 100000; ++i) {
    if (i > 0) {
      const double factor = alpha - static_cast<double>(i) + 1;
      log_coef += std::log(std::fabs(factor)) - std::log(static_cast<double>(i));
      if (factor < 0) positive = !positive;
    }
    const double di = static_cast<double>(i), j = alpha - di;
    const double log_s0 = log_coef + di * log_q + j * log_1q + (di * di - di) / (2 * s2) + std::log(0.5) +
                          LogErfc((di - z0) / (std::sqrt(2.0) * sigma));
    const double log_s1 = log_coef + j * log_q + di * log_1q + (j * j - j) / (2 * s2) + std::log(0.5) +
                          LogErfc((z0 - j) / (std::sqrt(2.0) * sigma));
    if (positive) {
      log_a0 = LogAdd(log_a0, log_s0);
      log_a1 = LogAdd(log_a1, log_s1);
    } else {
      log_a0 = LogSub(log_a0, log_s0);
      log_a1 = LogSub(log_a1, log_s1);
    }
    if (std::max(log_s0, log_s1) < -30) break;
  }
  return LogAdd(log_a0, log_a1);
}

}  // namespace

double SampledGaussianRdp(double q, double sigma, double alpha) {
  if (!(q >= 0 && q <= 1) || !(sigma >= 0) || !(alpha > 1)) return std::nan("");
  if (q == 0) return 0;
  if (sigma == 0 || alpha == kInf) return kInf;
  if (q == 1) return alpha / (2 * sigma * sigma);
  const double log_a = alpha == std::floor(alpha) && alpha < 1e6
                           ? LogAInteger(q, sigma, static_cast<int64_t>(alpha))
                           : LogAFractional(q, sigma, alpha);
  return log_a / (alpha - 1);
}

std::vector<double> SampledGaussianRdp(double q, double sigma, int64_t steps,
                                       const std::vector<double>& orders) {
  std::vector<double> out;
  out.reserve(orders.size());
  for (double alpha : orders) out.push_back(static_cast<double>(steps) * SampledGaussianRdp(q, sigma, alpha));
  return out;
}

std::vector<double> DefaultOrders() {
  std::vector<double> orders;
  for (int x = 1; x <= 99; ++x) orders.push_back(1 + x / 10.0);
  for (int a = 12; a <= 63; ++a) orders.push_back(a);
  return orders;
}

std::vector<double> IntegerOrders() {
  std::vector<double> orders;
  for (int a = 2; a <= 63; ++a) orders.push_back(a);
  return orders;
}

PrivacySpent RdpToEpsilon(const std::vector<double>& orders, const std::vector<double>& rdp, double delta,
                          RdpConversion conversion) {
  PrivacySpent best;
  best.epsilon = std::nan("");
  if (orders.size() != rdp.size() || orders.empty() || !(delta > 0 && delta < 1)) return best;
  size_t best_index = 0;
  for (size_t i = 0; i < orders.size(); ++i) {
    const double a = orders[i];
    if (!(a > 1) || std::isnan(rdp[i])) continue;
    const double eps = conversion == RdpConversion::kClassic
                           ? rdp[i] + std::log(1 / delta) / (a - 1)
                           : rdp[i] - (std::log(delta) + std::log(a)) / (a - 1) + std::log((a - 1) / a);
    if (std::isnan(eps)) continue;
    if (std::isnan(best.epsilon) || eps < best.epsilon) {
      best.epsilon = eps;
      best.order = a;
      best_index = i;
    }
  }
  best.at_boundary = !std::isnan(best.epsilon) && (best_index == 0 || best_index + 1 == orders.size());
  return best;
}

PrivacySpent DpSgdEpsilon(double q, double sigma, int64_t steps, double delta,
                          const std::vector<double>& orders, RdpConversion conversion) {
  return RdpToEpsilon(orders, SampledGaussianRdp(q, sigma, steps, orders), delta, conversion);
}

double NoiseForEpsilon(double target_epsilon, double q, int64_t steps, double delta,
                       const std::vector<double>& orders, RdpConversion conversion, double tolerance) {
  if (!(target_epsilon > 0) || !(q > 0 && q <= 1) || steps < 1 || !(tolerance > 0)) return std::nan("");
  auto epsilon = [&](double sigma) {
    return DpSgdEpsilon(q, sigma, steps, delta, orders, conversion).epsilon;
  };
  auto meets = [&](double sigma) {
    const double eps = epsilon(sigma);
    return !std::isnan(eps) && eps <= target_epsilon;
  };
  double low = 0, high = 10;
  while (!meets(high)) {
    low = high;
    high *= 2;
    if (high > 1 << 20) return std::nan("");
  }
  while (high - low > tolerance) {
    const double mid = (low + high) / 2;
    (meets(mid) ? high : low) = mid;
  }
  return high;
}

}  // namespace warden::secure_learning
