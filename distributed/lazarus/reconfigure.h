// Reconfiguration after failures or joins (Lazarus spec §5): map the physical
// nodes that are alive to the nodes of a new plan so that few experts must
// move, and list the transfers (weights plus optimizer state) that remain.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RECONFIGURE_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RECONFIGURE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "distributed/lazarus/placement.h"

namespace warden::lazarus {

// From a surviving holder, or from the checkpoint (from_node == kFromCheckpoint)
// when every replica of the expert was lost.
inline constexpr int kFromCheckpoint = -1;

struct ExpertTransfer {
  int layer;
  int expert;
  int from_node;  // physical id, or kFromCheckpoint
  int to_node;    // physical id
};

struct Reconfiguration {
  std::vector<int> plan_to_physical;  // new plan node index -> physical node id
  std::vector<ExpertTransfer> transfers;
  bool needs_checkpoint = false;  // some expert lost every replica
};

// `old_layers[l]` places layer l over physical nodes `old_physical` (node index
// j holds physical id old_physical[j]); `new_layers[l]` is the new plan over
// new_layers[l].num_nodes() plan nodes, to be mapped onto the physical ids in
// `available` (survivors and joiners; same count as plan nodes). Plan nodes are
// matched greedily, most demanding first, to the physical node that already
// holds the most of their experts (spec §5 step 2); each missing expert is then
// fetched from a surviving holder, spreading requests over holders.
// The two halves of PlanReconfiguration, for callers that lay plans out
// themselves (the runtime matches nodes, then lists transfers per worker):
// the plan-node -> physical-id matching, and the transfers that give plan node
// p (physical plan_to_physical[p]) what new_layers[l].nodes[p] lists and it
// lacks, each from the alive holder with the fewest sends so far
// (needs_checkpoint when an expert has none).
absl::StatusOr<std::vector<int>> MatchPlanNodes(const std::vector<Placement>& old_layers,
                                                const std::vector<int>& old_physical,
                                                const std::vector<Placement>& new_layers,
                                                const std::vector<int>& available, int experts_per_layer);
absl::StatusOr<Reconfiguration> ListTransfers(const std::vector<Placement>& old_layers,
                                              const std::vector<int>& old_physical,
                                              const std::vector<Placement>& new_layers,
                                              const std::vector<int>& plan_to_physical,
                                              int experts_per_layer);

absl::StatusOr<Reconfiguration> PlanReconfiguration(const std::vector<Placement>& old_layers,
                                                    const std::vector<int>& old_physical,
                                                    const std::vector<Placement>& new_layers,
                                                    const std::vector<int>& available, int experts_per_layer);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RECONFIGURE_H_
