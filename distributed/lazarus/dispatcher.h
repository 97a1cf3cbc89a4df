// The flexible token dispatcher's plan (Lazarus spec §4, Algorithm 1): given
// replicas R[e][j] of expert e on rank j and routed tokens T[e][j], how many
// tokens of each expert every rank sends to every other rank.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_DISPATCHER_H_
#define WARDEN_DISTRIBUTED_LAZARUS_DISPATCHER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::lazarus {

struct DispatchPlan {
  int experts = 0, ranks = 0;
  // send[e][i][j]: tokens of expert e that rank i sends to rank j (i == j: kept).
  std::vector<std::vector<std::vector<int64_t>>> send;
  // capacity[e][j]: tokens of expert e that rank j processes (Σ_i send[e][i][j]).
  std::vector<std::vector<int64_t>> capacity;

  // Per-rank totals for one variable-split all-to-all: send_counts(i)[j] = Σ_e send[e][i][j].
  std::vector<int64_t> SendCounts(int rank) const;
  std::vector<int64_t> ReceiveCounts(int rank) const;
};

// Algorithm 1 with deterministic integer rounding. For every expert e:
//   cap_{e,j} = t_e · R_{e,j} / r_e, rounded by largest remainder (ties: lower rank);
//   rank i keeps min(T_{e,i}, cap_{e,i}) and sends its overflow to ranks with
//   residual capacity P_{e,j} in proportion to P_{e,j}, again by largest
//   remainder, so every token is sent exactly once and rank j ends with exactly
//   cap_{e,j} tokens: per replica, loads differ by at most one token.
// Experts with no replica but tokens are an error (InvalidArgument), as are
// ragged or negative inputs.
absl::StatusOr<DispatchPlan> PlanDispatch(const std::vector<std::vector<int>>& replicas,
                                          const std::vector<std::vector<int64_t>>& tokens);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_DISPATCHER_H_
