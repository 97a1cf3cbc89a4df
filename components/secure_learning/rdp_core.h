// The RDP accountant of DP-SGD: Rényi differential privacy of the sampled
// Gaussian mechanism (Mironov, Talwar, Zhang 2019, §3.3), composition over
// steps, conversion to (epsilon, delta), and the noise multiplier for a target
// epsilon. Spec: docs/specs/secure_learning.md §4.
//
// One step samples every example with probability q and adds N(0, sigma² C²)
// to the sum of clipped gradients (sigma is the noise multiplier). Its RDP at
// order alpha is log(A_alpha) / (alpha - 1):
//   integer alpha:    A = sum_{i=0}^{alpha} C(alpha, i) (1-q)^{alpha-i} q^i e^{(i²-i)/(2 sigma²)},
//   fractional alpha: the two-sided series of the spec, summed in log space
//                     until both terms fall below e^-30.
// Edge cases: q = 0 → 0; sigma = 0 → inf; q = 1 → alpha / (2 sigma²).
//
// Portable: C++17 standard library only.
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_RDP_CORE_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_RDP_CORE_H_

#include <cstdint>
#include <vector>

namespace warden::secure_learning {

// RDP of one sampled-Gaussian step at order alpha > 1; NaN for q outside
// [0, 1], sigma < 0 or alpha <= 1.
double SampledGaussianRdp(double q, double sigma, double alpha);

// RDP of `steps` such steps at each order (composition adds).
std::vector<double> SampledGaussianRdp(double q, double sigma, int64_t steps,
                                       const std::vector<double>& orders);

// The orders of Opacus's accountant: 1 + x/10 for x = 1..99, then 12..63
// (151 orders).
std::vector<double> DefaultOrders();

// The integer orders 2..63.
std::vector<double> IntegerOrders();

enum class RdpConversion {
  kClassic,   // epsilon = RDP(alpha) + log(1/delta) / (alpha - 1)   (Mironov 2017)
  kImproved,  // epsilon = RDP(alpha) - (log delta + log alpha)/(alpha - 1) + log((alpha-1)/alpha)
              //   (Balle et al. 2020, Thm 21; today's Opacus)
};

struct PrivacySpent {
  double epsilon = 0;
  double order = 0;          // the order that gave it
  bool at_boundary = false;  // the best order is the first or last: widen the orders
};

// The smallest epsilon over the orders (NaN entries skipped) for `delta` in
// (0, 1). epsilon is NaN when no order gives a number, or the sizes differ.
PrivacySpent RdpToEpsilon(const std::vector<double>& orders, const std::vector<double>& rdp, double delta,
                          RdpConversion conversion);

// The epsilon of `steps` sampled-Gaussian steps (q, sigma) at `delta`.
PrivacySpent DpSgdEpsilon(double q, double sigma, int64_t steps, double delta,
                          const std::vector<double>& orders, RdpConversion conversion);

// The smallest noise multiplier (to within `tolerance`, default 0.01) whose
// epsilon after `steps` steps at sampling rate q is at most `target_epsilon`:
// doubles an upper bracket until it meets the target, then bisects it to
// `tolerance` and returns the bracket's upper end. NaN when no sigma up to 2^20
// reaches the target or the arguments are invalid.
double NoiseForEpsilon(double target_epsilon, double q, int64_t steps, double delta,
                       const std::vector<double>& orders, RdpConversion conversion, double tolerance = 0.01);

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_RDP_CORE_H_
