// The flexible token dispatcher's plan (Lazarus spec §4, Algorithm 1): given
// replicas R[e][j] of expert e on rank j and routed tokens T[e][j] (all-gathered,
// so every rank knows them), how many tokens of each expert each rank keeps,
// sends and receives.
//
// Capacities follow Algorithm 1 exactly: cap_{e,j} = t_e · R_{e,j} / r_e, made
// integral by largest remainder (ties: lower rank), so per replica the loads
// differ by at most one token. Each rank keeps min(T_{e,i}, cap_{e,i}); only
// overflow moves, and every receiver gets exactly its residual capacity
// P_{e,j} = cap_{e,j} − kept_{e,j}. Step 5 (who sends overflow to whom) is
// deliberately not the proportional split: the overflow of senders (in rank
// order) is matched to the residual capacity of receivers (in rank order)
// interval by interval. Every rank ends with the same tokens as under the
// proportional split (exactly cap), rounding needs no fix-up, each sender talks
// to as few receivers as possible, and any rank computes its own sends and
// receives in O(log N) per expert from the shared counts.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_DISPATCHER_H_
#define WARDEN_DISTRIBUTED_LAZARUS_DISPATCHER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::lazarus {

// Shared per-layer quantities every rank derives from the all-gathered counts.
struct DispatchCapacities {
  int experts = 0, ranks = 0;
  std::vector<std::vector<int64_t>> capacity;       // [e][j]
  std::vector<std::vector<int64_t>> overflow_end;   // [e][j]: prefix sums of overflow
  std::vector<std::vector<int64_t>> residual_end;   // [e][j]: prefix sums of residual
};

// Capacities, overflow and residual prefix sums for every expert. Ragged or
// negative input, or tokens for an expert with no replica: InvalidArgument.
absl::StatusOr<DispatchCapacities> ComputeCapacities(const std::vector<std::vector<int>>& replicas,
                                                     const std::vector<std::vector<int64_t>>& tokens);

// What one rank does in the all-to-all for one layer.
struct RankDispatch {
  std::vector<int64_t> kept;       // [e]: own tokens processed locally
  std::vector<int64_t> capacity;   // [e]: tokens processed in total (kept + received)
  std::vector<std::vector<std::pair<int, int64_t>>> sends;     // [e]: (to rank, tokens)
  std::vector<std::vector<std::pair<int, int64_t>>> receives;  // [e]: (from rank, tokens)

  // Splits for one variable-split all_to_all_single: tokens to / from each rank
  // (the rank's own entry holds its kept tokens).
  std::vector<int64_t> SendSplits(int ranks, int self) const;
  std::vector<int64_t> ReceiveSplits(int ranks, int self) const;
};

RankDispatch PlanRankDispatch(const DispatchCapacities& caps,
                              const std::vector<std::vector<int64_t>>& tokens, int rank);

// The whole plan as dense matrices (tests, small clusters): send[e][i][j].
struct DispatchPlan {
  int experts = 0, ranks = 0;
  std::vector<std::vector<std::vector<int64_t>>> send;
  std::vector<std::vector<int64_t>> capacity;
  std::vector<int64_t> SendCounts(int rank) const;
  std::vector<int64_t> ReceiveCounts(int rank) const;
};

absl::StatusOr<DispatchPlan> PlanDispatch(const std::vector<std::vector<int>>& replicas,
                                          const std::vector<std::vector<int64_t>>& tokens);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_DISPATCHER_H_
