// The Lazarus controller (spec §1, §5): owns the TCPStore, launches workers on
// loopback, watches heartbeats and failure reports, computes allocation and
// placement for every generation from the observed routing loads, maps
// survivors to the new plan so that few experts move, and publishes each new
// generation. It also injects failures (SIGKILL at a step) and joins for
// experiments, prints a timeline, and ends with a JSON summary.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_CONTROLLER_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_CONTROLLER_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "distributed/lazarus/runtime/protocol.h"
#include "distributed/lazarus/runtime/worker_options.h"

namespace warden::lazarus {

struct ControllerOptions {
  int ranks = 4;
  WorkerOptions worker;  // template: model, steps, batch, checkpoint; port/id set per worker
  std::string worker_binary;
  std::vector<std::pair<int, int64_t>> kills;  // (worker id, step): SIGKILL when the cluster starts that step
  // (worker id, step): SIGSTOP then, a hung worker whose process stays alive:
  // only its missing heartbeats tell (heartbeat_timeout_s), then it is killed.
  std::vector<std::pair<int, int64_t>> stops;
  // A new worker trains from each of these steps on: launched at the start,
  // it waits as a standby; the cluster stops before the step until it is in.
  std::vector<int64_t> join_at_steps;
  // Worker ids SIGKILLed during the first recovery: while its generation is
  // proposed and some member has configured it, before it commits (a failure
  // during recovery). One per failure: each later id strikes the recovery
  // from the previous one.
  std::vector<int> recovery_kills;
  int slots = 3;  // expert slots per worker and layer
  // Workers id / ranks_per_node share a node (RecoveryMachineOptions): placement is
  // over nodes, and a node whose worker fails leaves whole.
  int ranks_per_node = 1;
  int fault_tolerance = 1;  // Eq. 1's f
  // A worker whose heartbeat is older than max(this, 10 x the measured step
  // time) is hung: it is SIGKILLed and recovered from. Workers that die are
  // seen at once (the controller is their parent), not through heartbeats.
  double heartbeat_timeout_s = 5.0;
  double deadline_s = 300;
  int64_t print_every = 10;
  int64_t rebalance_every = 0;  // steps between load-driven re-plans (0: only on failures/joins)
  // After a failure every survivor is brought to the last step any of them
  // applied (those one step behind apply its summed gradients); the step after
  // it is then trained by the new generation (true: the run equals a
  // failure-free one), or skipped as in the paper (false:
  // RunSummary::dropped_steps lists it).
  bool retry_failed_step = true;
};

struct RunSummary {
  int64_t steps = 0;   // steps applied by the final generation's ranks
  int failures = 0;    // workers lost
  int recoveries = 0;  // generations started after a failure
  int joins = 0;
  int rebalances = 0;
  int checkpoint_reads = 0;
  int hung_killed = 0;                   // live but unresponsive workers SIGKILLed and recovered from
  std::vector<double> recovery_seconds;  // kill (or detection) -> next applied step
  std::vector<int64_t> dropped_steps;
  int64_t experts_moved = 0;
  double final_loss = 0;
  int final_world = 0;
  double seconds = 0;
  double tokens_per_second = 0;
  // Smallest routing gap any worker saw (Trainer::Step's gate_margin): below
  // ~1e-5, float rounding alone may route a token differently, so a
  // reconfigured run need not match a failure-free one to rounding.
  double min_gate_margin = 0;
  std::string ToJson() const;
};

// Runs a whole training job; timeline lines go to `out`.
absl::StatusOr<RunSummary> RunController(const ControllerOptions& options, std::ostream& out);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_CONTROLLER_H_
