// Expert placement: which experts' replicas each node holds (Lazarus spec §3).
//
// A Placement has N nodes of c slots; expert e fills exactly r_e slots. A node
// may hold several replicas of one expert (they add capacity, not resilience).
// Policies: MRO exactly as the paper, the spread and compact baselines, and our
// own search, which is never worse than MRO and strictly better where MRO is
// not optimal (c ∤ E; see the spec's counterexample).
#ifndef WARDEN_DISTRIBUTED_LAZARUS_PLACEMENT_H_
#define WARDEN_DISTRIBUTED_LAZARUS_PLACEMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::lazarus {

struct Placement {
  int slots = 0;
  std::vector<std::vector<int>> nodes;  // nodes[j] = the c experts in node j's slots

  int num_nodes() const { return static_cast<int>(nodes.size()); }
  // Replicas of each of `experts` experts.
  std::vector<int> ReplicaCounts(int experts) const;
  // Bitmask over nodes (N <= 64) of where each expert has a replica.
  std::vector<uint64_t> ExpertNodeMasks(int experts) const;
};

// Checks that `replicas` fit N nodes of c slots exactly (Σ r = N·c, r_e >= 1).
absl::Status ValidateReplicas(const std::vector<int>& replicas, int nodes, int slots);

// MRO, "maximum rank overlap" (spec §3): experts ranked by ascending r; if
// E <= c every expert e goes on the first min(r_e, N) nodes; otherwise groups of
// c consecutive ranks share disjoint node blocks sized by each group's rarest
// expert. Leftover replicas fill vacant slots evenly (most vacant node first,
// lowest index on ties).
absl::StatusOr<Placement> PlaceMro(const std::vector<int>& replicas, int nodes, int slots);

// Spread: each expert's replicas dealt round-robin across nodes.
absl::StatusOr<Placement> PlaceSpread(const std::vector<int>& replicas, int nodes, int slots);

// Compact: slots filled node by node, expert by expert (fewest nodes per expert).
absl::StatusOr<Placement> PlaceCompact(const std::vector<int>& replicas, int nodes, int slots);

struct SearchOptions {
  int target_failures = 1;        // maximise P(recovery) with this many failed nodes
  double time_budget_seconds = 1;  // local search budget (exact search ignores it)
  uint64_t seed = 0;
  // Exact search is used when N <= exact_max_nodes and c <= exact_max_slots.
  int exact_max_nodes = 6;
  int exact_max_slots = 3;
};

struct SearchResult {
  Placement placement;
  double probability = 0;      // P(recovery) of `placement` at target_failures
  double mro_probability = 0;  // the same for MRO
  bool exact = false;          // true: the placement is optimal (exhaustive search)
  int64_t evaluated = 0;       // placements scored
  double seconds = 0;
};

// "Ours": exhaustive search over placements (up to node permutation) for small
// instances; else a local search over slot swaps seeded with MRO, within the
// time budget. The result is never worse than MRO at target_failures; ties in
// the target are broken by the sum of P(recovery) over all failure counts.
absl::StatusOr<SearchResult> PlaceOptimized(const std::vector<int>& replicas, int nodes, int slots,
                                            const SearchOptions& options);

// The placement as text: one row per slot, one column per node.
std::string PlacementGrid(const Placement& placement);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_PLACEMENT_H_
