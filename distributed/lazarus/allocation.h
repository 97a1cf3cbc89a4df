// Adaptive expert-replica allocation for one MoE layer (Lazarus spec §2, Eq. 1).
// Plain C++ with Abseil; no torch.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_ALLOCATION_H_
#define WARDEN_DISTRIBUTED_LAZARUS_ALLOCATION_H_

#include <vector>

#include "absl/status/statusor.h"

namespace warden::lazarus {

struct ReplicaAllocation {
  std::vector<int> replicas;  // r_e per expert, in expert order; sums to nodes * slots
  int fault_tolerance = 0;    // the f actually enforced (see AllocateReplicas)
};

// Eq. 1: experts sorted by load ascending (ties by expert index), then
// r_e = max(floor(t_e / Σ_{e'≥e} t_{e'} · (N·c − Σ_{e'<e} r_{e'})), f).
// Σ r = N·c, r_e ≥ f, and r is non-decreasing in load.
//
// When N·c < E·f the paper does not say what happens; we lower f to
// floor(N·c / E), the largest threshold every expert can still meet, and report
// it in `fault_tolerance`. All-zero loads are treated as equal loads.
// InvalidArgument if N·c < E (some expert would have no replica), any load is
// negative or not finite, or nodes, slots or f are < 1.
absl::StatusOr<ReplicaAllocation> AllocateReplicas(const std::vector<double>& loads, int nodes,
                                                   int slots, int f);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_ALLOCATION_H_
