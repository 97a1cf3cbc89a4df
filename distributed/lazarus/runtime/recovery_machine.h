// The controller's generations as a state machine with two-phase commit
// (Lazarus spec §1, §5; issue 20). A generation is proposed (kPreparing):
// every member configures (state from a survivor, missing experts from their
// holders) and acknowledges what it now holds; when every member has, the
// generation is committed (kCommitted) and only then trained in. A failure
// at any point, in training or in the middle of a recovery, re-plans from
// what the survivors say they hold (their acknowledgements or failure
// reports), never from a plan that may not have been carried out; when no
// plan can be made from that (an expert without a replica, or no survivor
// with training state) it falls back to the checkpoint, or fails cleanly.
//
// Pure logic: no processes and no store, so every path has a unit test
// (recovery_machine_test.cc); the controller feeds it what it observes.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_RECOVERY_MACHINE_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_RECOVERY_MACHINE_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "distributed/lazarus/placement.h"
#include "distributed/lazarus/runtime/moe_model.h"
#include "distributed/lazarus/runtime/protocol.h"

namespace warden::lazarus {

// Routed tokens [layer][expert] (empty: uniform loads).
using Loads = std::vector<std::vector<int64_t>>;

// Replicas per rank for every layer: Eq. 1 allocation on `loads[layer]` (or
// uniform when empty) and MRO placement.
absl::StatusOr<std::vector<Placement>> PlanLayers(const MoeConfig& model, const Loads& loads, int ranks,
                                                  int slots, int fault_tolerance);
ReplicaPlan ToReplicaPlan(const std::vector<Placement>& layers, int experts);

// What the controller knows of one member of the generation in force.
struct Observation {
  bool done = false;          // finished training
  bool exited = false;        // its process is gone
  bool reported = false;      // reported a failed collective (protocol::FailedKey)
  bool acknowledged = false;  // acknowledged the generation (protocol::AckKey)
  double heartbeat_age_s = 0;
};

enum class Standing {
  kSurvivor,  // alive and has said what it holds: a failure report, or an ack of an uncommitted generation
  kGone,      // its process exited
  kHung,      // alive but silent past the heartbeat timeout: to be killed, then gone
  kPending,   // alive and not yet heard from (or finished)
};

// A member's standing once a failure is known. An acknowledgement counts only
// while the generation is uncommitted: a member of a committed generation is
// training and must report the failed collective itself.
Standing Classify(const Observation& o, bool committed, double hang_timeout_s);

struct RecoveryMachineOptions {
  MoeConfig model;
  // Workers id / ranks_per_node share a node: plans are made over nodes of
  // ranks_per_node x slots slots (replicas of an expert on distinct nodes
  // where the allocation allows), and nodes join and leave whole.
  int ranks_per_node = 1;
  int slots = 3;  // per worker and layer
  int fault_tolerance = 1;
  bool checkpoint_available = false;  // a checkpoint path and interval are configured
  bool retry_failed_step = true;      // false: the interrupted step is dropped (the paper)
};

class RecoveryMachine {
 public:
  enum class Phase { kIdle, kPreparing, kCommitted };

  explicit RecoveryMachine(const RecoveryMachineOptions& options);

  // Generation 0 over `members`: the load-free plan; every member
  // initialises its experts from the shared seed.
  absl::StatusOr<protocol::Generation> Start(const std::vector<int>& members);

  // Phase one: member `id` holds `holding` after configuring generation
  // `gen`: its plan's experts, and until the commit also those the plan
  // takes from it (a failure before the commit may still need them). Returns
  // true when this makes every member's acknowledgement, i.e. the generation
  // is now committed. An acknowledgement of another generation is stale and
  // ignored (false); one that lacks a plan's expert is an InternalError.
  absl::StatusOr<bool> Acknowledge(int gen, int id, const protocol::Holding& holding);

  // A planned change of the committed generation (a join, a load-driven
  // re-plan): `available` in any order, `joiners` among them hold nothing.
  // FailedPrecondition while a generation is being prepared.
  absl::StatusOr<protocol::Generation> Change(const std::vector<int>& available,
                                              const std::vector<int>& joiners, const Loads& loads);

  struct Recovery {
    protocol::Generation generation;
    int64_t dropped_step = -1;  // the interrupted step, when retry_failed_step is false
    int lost = 0;               // members of the failed generation not among the survivors
  };
  // A failure in the generation in force, committed or not. `survivors` maps
  // each surviving member to what it holds (its failure report, or its ack of
  // the uncommitted generation). Survivors at the latest applied step M keep
  // their experts; those at M - 1 catch up with the summed gradients of a
  // survivor that kept step M's (their experts count too); any other state is
  // stale and holds nothing. Unavailable when nobody survives; DataLoss when
  // a checkpoint would be needed and none is configured.
  absl::StatusOr<Recovery> Fail(const std::map<int, protocol::Holding>& survivors, const Loads& loads);

  Phase phase() const { return phase_; }
  const protocol::Generation& current() const { return current_; }
  // The current generation's plan over nodes (node j holds members
  // [j·ranks_per_node, (j+1)·ranks_per_node) in rank order): what recovery
  // probability is computed on (recovery.h).
  const std::vector<Placement>& node_plan() const { return node_plan_; }

 private:
  // Numbers it; phase kPreparing.
  protocol::Generation Propose(protocol::Generation g, std::vector<Placement> nodes);

  RecoveryMachineOptions o_;
  Phase phase_ = Phase::kIdle;
  int next_gen_ = 0;
  protocol::Generation current_;
  std::vector<Placement> node_plan_;
  std::map<int, protocol::Holding> acks_;       // of the generation being prepared
  std::map<int, protocol::Holding> committed_;  // what each member of the committed generation holds
};

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_RECOVERY_MACHINE_H_
