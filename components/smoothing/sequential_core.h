// Sequential certification: decisions from class counts that grow in batches,
// stopping as soon as the answer is known (issue 22; spec docs/specs/smoothing.md
// §3 for the fixed-n CERTIFY these replace).
//
// Two procedures, both after Cohen et al.'s selection step has fixed ĉ_A from n0
// separate draws:
//   - at a radius r: "certified at r" iff p_A = P(f(x + ε) = ĉ_A) > p* = Φ(r/σ);
//   - adaptive: the largest radius σ Φ⁻¹(p_A lower) the samples support, growing
//     n until the next checkpoint would not raise it by more than a tolerance.
//
// Why the answers stay valid at level α under early stopping. The estimation
// draws are one fixed sequence (sample i always comes from the same seeded
// stream, sampler.h), and we only look at its prefix counts k_j at checkpoints
// n_1 < n_2 < ... < n_K. At each checkpoint the one-sided Clopper–Pearson bounds
// at level α_j satisfy P(L_j > p_A) ≤ α_j and P(U_j < p_A) ≤ α_j as statements
// about that fixed prefix, whether or not the procedure stops before reaching it.
// The levels spend α: Σ_j α_j = α. So by the union bound
//   P(some checkpoint has L_j > p_A) ≤ α   and   P(some checkpoint has U_j < p_A) ≤ α,
// and a procedure that certifies only on some visited L_j > p* (or reports
// σ Φ⁻¹(max visited L_j)) is wrong with probability ≤ α, for ANY stopping rule
// that depends on the counts seen so far: stopping only picks which of these
// events we look at. This is Bonferroni alpha-spending over a fixed schedule,
// the simplest sequential test that is valid under optional stopping; it costs
// a little at full n (the last checkpoint has α/2, not α: a radius lower by
// ~2% at n = 100,000) and buys stopping after the first batches for inputs far
// from the decision.
//
// The schedule doubles: n_j = first · 2^j, the last one clipped to the budget.
// Half of α goes to the last checkpoint, where the close calls end; the other
// half is split evenly over the earlier ones, where only clear cases stop.
//
// Portable: C++17 standard library only (emcc builds it for the browser demo).
#ifndef WARDEN_COMPONENTS_SMOOTHING_SEQUENTIAL_CORE_H_
#define WARDEN_COMPONENTS_SMOOTHING_SEQUENTIAL_CORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "components/smoothing/certify_core.h"

namespace warden::smoothing {

struct SequentialSchedule {
  std::vector<int64_t> checkpoints;  // cumulative estimation samples, strictly increasing
  std::vector<double> alphas;        // the bounds' level at each checkpoint; they sum to alpha
};

// The doubling schedule from `first` to `budget` samples, each checkpoint
// rounded up to a multiple of `granule` (the sampler's batch size, so that a
// checkpoint ends on a batch boundary), the last equal to `budget`. Returns
// false with `error` set unless 1 <= first <= budget, granule >= 1 and alpha is
// in (0, 1).
bool MakeDoublingSchedule(int64_t first, int64_t budget, int64_t granule, double alpha,
                          SequentialSchedule* schedule, std::string* error);

struct SequentialResult {
  // Radius mode: ĉ_A if certified at the radius, else kAbstain. Adaptive: ĉ_A if
  // its radius is > 0 (p_A lower bound > 1/2), else kAbstain.
  int predicted_class = kAbstain;
  // Radius mode: the radius asked for if certified, else 0. Adaptive: σ Φ⁻¹ of
  // the largest lower bound seen, 0 when abstaining.
  double radius = 0.0;
  int64_t samples = 0;  // estimation samples used (the last checkpoint observed)
  int checkpoints = 0;  // checkpoints observed
  bool decided = true;  // radius mode: false if the budget ran out first (then not certified)
};

// Consumes counts checkpoint by checkpoint:
//   SequentialCertifier c = SequentialCertifier::AtRadius(schedule, top, sigma, r);
//   while (!c.done()) c.Observe(count of `top` among the first c.next_samples() draws);
//   c.result();
class SequentialCertifier {
 public:
  // Certify at `radius` >= 0: stops certified when L_j > Φ(radius / σ), not
  // certified when U_j <= Φ(radius / σ), and undecided (not certified) at the
  // budget or as soon as no later checkpoint could certify even if every
  // remaining sample were ĉ_A (e.g. a radius beyond what the budget can reach:
  // all n samples agreeing certify at most σ Φ⁻¹(α_K^(1/n))).
  static SequentialCertifier AtRadius(SequentialSchedule schedule, int top_class, double sigma,
                                      double radius);
  // Anytime CERTIFY: stops when U_j <= 1/2 (abstain for sure), at the budget, or
  // when the radius forecast for the next checkpoint (same empirical rate, the
  // next checkpoint's n and α) exceeds the current radius by no more than
  // `tolerance` times it.
  static SequentialCertifier Adaptive(SequentialSchedule schedule, int top_class, double sigma,
                                      double tolerance);

  bool done() const { return done_; }
  // Total estimation samples whose count the next Observe wants.
  int64_t next_samples() const;
  // The count of the top class among the first next_samples() draws. Ignored
  // once done(); a count outside [0, next_samples()] ends as not certified.
  void Observe(int64_t top_count);
  const SequentialResult& result() const { return result_; }

 private:
  enum class Mode { kRadius, kAdaptive };
  SequentialCertifier(Mode mode, SequentialSchedule schedule, int top_class, double sigma, double target);
  // Radius mode: whether some later checkpoint could still certify, at best.
  bool Reachable(int64_t top_count, int64_t n) const;

  Mode mode_;
  SequentialSchedule schedule_;
  int top_class_;
  double sigma_;
  double target_;  // radius mode: p* = Φ(r/σ) (and the radius in radius_); adaptive: tolerance
  double radius_ = 0.0;
  size_t next_ = 0;
  bool done_ = false;
  SequentialResult result_;
};

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_SEQUENTIAL_CORE_H_
