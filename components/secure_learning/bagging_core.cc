#include "components/secure_learning/bagging_core.h"

#include <algorithm>
#include <cmath>

#include "components/smoothing/stats_core.h"

namespace warden::secure_learning {
namespace {

// The p's are multiples of n^-k; the authors' code shifts them by 1e-50 so a
// bound that lands exactly on a lattice point does not certify by rounding.
constexpr double kShift = 1e-50;

// (x / n)^k for 0 <= x, in double via logs (k up to thousands, x/n near 1).
double Ratio(double x, double n, int64_t k) {
  if (x <= 0) return 0;
  return std::exp(static_cast<double>(k) * std::log(x / n));
}

// The bracket (n'/n)^k - 2((max(n, n') - r)/n)^k at n' >= n.
double Bracket(int64_t n, int64_t k, int64_t r, int64_t n_prime) {
  const double nn = static_cast<double>(n);
  return Ratio(static_cast<double>(n_prime), nn, k) - 2 * Ratio(static_cast<double>(n_prime - r), nn, k);
}

}  // namespace

double BaggingTail(double alpha, int64_t labels, int64_t tests) {
  if (labels < 1 || tests < 1) return std::nan("");
  return alpha / (static_cast<double>(labels) * static_cast<double>(tests));
}

BaggingBounds BaggingBoundsFromCounts(const std::vector<int64_t>& counts, int64_t label, double tail) {
  const BaggingBounds none;
  if (counts.size() < 2 || label < 0 || label >= static_cast<int64_t>(counts.size()) || !(tail > 0) ||
      !(tail < 1)) {
    return none;
  }
  int64_t total = 0;
  for (int64_t c : counts) {
    if (c < 0) return none;
    total += c;
  }
  if (total < 1) return none;
  const double a_lower = smoothing::ClopperPearsonLower(counts[label], total, tail);
  double b_upper = 0;
  for (size_t l = 0; l < counts.size(); ++l) {
    if (static_cast<int64_t>(l) == label) continue;
    b_upper =
        std::max(b_upper, std::min(smoothing::ClopperPearsonUpper(counts[l], total, tail), 1 - a_lower));
  }
  return {a_lower - kShift, b_upper + kShift};
}

bool BaggingCertifies(int64_t n, int64_t k, double p_a, double p_b, int64_t r) {
  if (n < 1 || k < 1 || r < 0 || r > n) return false;
  // Over n' <= n the bracket grows with n' (docs/specs/secure_learning.md §1),
  // so only n' in [n, n + r] matter. There it is (n'/n)^k - 2((n' - r)/n)^k,
  // which for k >= 2 rises to n'* = r / (1 - 2^{-1/(k-1)}) and falls after; for
  // k = 1 it falls from n' = n.
  double bracket;
  if (k == 1 || r == 0) {
    bracket = Bracket(n, k, r, n);
  } else {
    const double peak = static_cast<double>(r) / (1 - std::pow(2.0, -1.0 / static_cast<double>(k - 1)));
    if (peak <= static_cast<double>(n)) {
      bracket = Bracket(n, k, r, n);
    } else if (peak >= static_cast<double>(n + r)) {
      bracket = Bracket(n, k, r, n + r);
    } else {
      const auto lo = static_cast<int64_t>(std::floor(peak));
      bracket = std::max(Bracket(n, k, r, lo), Bracket(n, k, r, std::min(lo + 1, n + r)));
    }
  }
  return bracket + 1 - p_a + p_b < 0;
}

int64_t BaggingCertifiedSize(int64_t n, int64_t k, double p_a, double p_b) {
  if (!BaggingCertifies(n, k, p_a, p_b, 0)) return kNotCertified;
  // The condition is monotone in r: binary search for the last certified r.
  int64_t good = 0, bad = n + 1;
  while (bad - good > 1) {
    const int64_t mid = good + (bad - good) / 2;
    (BaggingCertifies(n, k, p_a, p_b, mid) ? good : bad) = mid;
  }
  return good;
}

}  // namespace warden::secure_learning
