// Probability that a placement survives node failures (Lazarus spec §3): k of
// N nodes fail, uniformly at random; the job recovers iff every expert of every
// layer keeps at least one replica on an alive node.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RECOVERY_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RECOVERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distributed/lazarus/placement.h"

namespace warden::lazarus {

struct RecoveryEstimate {
  double probability = 0;
  bool exact = true;
  double ci_low = 0, ci_high = 0;  // 95% interval (equal to probability when exact)
  std::string method;              // "enumeration", "inclusion-exclusion", "disjoint", "monte-carlo"
};

enum class RecoveryMethod { kAuto, kEnumeration, kInclusionExclusion, kDisjoint, kMonteCarlo };

struct RecoveryOptions {
  RecoveryMethod method = RecoveryMethod::kAuto;
  int64_t samples = 200000;  // Monte Carlo draws
  uint64_t seed = 0;
};

// P(recovery) when `failures` of the N nodes fail, for one or several layers'
// placements on the same nodes. kAuto picks the first that applies: enumeration
// of failure sets (N <= 64, C(N, k) <= 2·10^6); a closed form when the minimal
// distinct expert node sets are pairwise disjoint (as MRO's blocks are);
// inclusion–exclusion over those sets (<= 24 of them); else Monte Carlo with a
// Wilson 95% interval. InvalidArgument for layers on different node counts,
// failures outside [0, N], or a forced method that does not apply.
absl::StatusOr<RecoveryEstimate> RecoveryProbability(const std::vector<Placement>& layers,
                                                     int experts_per_layer, int failures,
                                                     const RecoveryOptions& options = {});

// MRO's closed form (spec §3, [ours]): P = Σ_{S⊆blocks} (−1)^{|S|} C(N − Σ_S |B_i|, R) / C(N, R)
// for disjoint blocks of the given sizes and R = N − failures alive nodes.
double DisjointBlocksProbability(const std::vector<int>& block_sizes, int nodes, int failures);

// log C(n, k) (−inf when k < 0 or k > n).
double LogBinomial(int64_t n, int64_t k);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RECOVERY_H_
