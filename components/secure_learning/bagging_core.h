// Bagging's certified poisoning size (Jia, Cao, Gong, AAAI 2021), as used by
// the secure-learning study. Spec: docs/specs/secure_learning.md §1.
//
// N base models, each trained on k points drawn with replacement from the n
// training points, vote for a test input. From the votes we bound p_A (the
// true label's probability; A is the true label, as in the authors' code) from
// below and the best other label's p_B from above with Clopper–Pearson at a
// one-sided tail a = alpha / (labels · test inputs) (Bonferroni over both), and
// certify every poisoning size r (insertions + deletions + modifications, each
// counted once) with
//   max_{n' in [n-r, n+r]} (n'/n)^k - 2 ((max(n, n') - r)/n)^k + 1 - p_A + p_B < 0.
// The largest such r is found by binary search over [0, n] — without the
// reference code's cap of 1500, which truncates small k.
//
// Portable: C++17 standard library (and smoothing's portable stats core) only.
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_BAGGING_CORE_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_BAGGING_CORE_H_

#include <cstdint>
#include <vector>

namespace warden::secure_learning {

// The radius of an input that is not certified (p_A <= p_B, or bad input).
inline constexpr int64_t kNotCertified = -1;

struct BaggingBounds {
  double p_a = 0;  // lower bound on the true label's vote probability
  double p_b = 1;  // upper bound on the best other label's
};

// The one-sided tail of each Clopper–Pearson bound: alpha / (labels · tests).
double BaggingTail(double alpha, int64_t labels, int64_t tests);

// Bounds from one test input's vote counts (one per label, summing to the
// number of base models N) and its true label, at one-sided tail `tail`:
//   p_A = CPlower(c_y) - 1e-50,
//   p_B = max_{l != y} min(CPupper(c_l), 1 - CPlower(c_y)) + 1e-50.
// {0, 1} (certifies nothing) for empty counts, a label out of range, N = 0,
// a negative count or a tail outside (0, 1).
BaggingBounds BaggingBoundsFromCounts(const std::vector<int64_t>& counts, int64_t label, double tail);

// Whether poisoning size r is certified for n training points, subsamples of
// k, and bounds (p_a, p_b): the condition above, with the max over n' taken at
// its analytic argmax (the bracket grows with n' up to n'* = r/(1 - 2^{-1/(k-1)})).
bool BaggingCertifies(int64_t n, int64_t k, double p_a, double p_b, int64_t r);

// The largest certified r in [0, n], or kNotCertified when r = 0 is not
// (p_a <= p_b) or the arguments are invalid (n < 1, k < 1).
int64_t BaggingCertifiedSize(int64_t n, int64_t k, double p_a, double p_b);

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_BAGGING_CORE_H_
