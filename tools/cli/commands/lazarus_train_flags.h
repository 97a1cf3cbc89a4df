// Flags of a Lazarus training run, shared by `warden lazarus train` (which
// validates them and starts the controller binary) and lazarus_controller.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_LAZARUS_TRAIN_FLAGS_H_
#define WARDEN_TOOLS_CLI_COMMANDS_LAZARUS_TRAIN_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distributed/lazarus/runtime/controller.h"
#include "tools/cli/flags.h"

namespace warden::lazarus {

struct TrainFlags {
  int64_t ranks = 4, steps = 100;
  int64_t kill_rank = -1, kill_at_step = -1;  // one failure (the form)
  std::string kills;                          // more: "ID@STEP,ID@STEP"
  std::string stops;                          // hung workers: "ID@STEP" (SIGSTOP)
  std::string recovery_kills;                 // "ID,ID": killed while a recovery is being prepared
  std::string reduce_faults;                  // "ID@STEP": that worker's all-reduce counted as failed
  std::string joins;                          // "STEP,STEP": launch a new worker at each
  int64_t experts = 8, layers = 2, width = 32, heads = 2, expert_hidden = 64, context = 32, top_k = 1;
  int64_t global_batch = 16, slots = 4, fault_tolerance = 1, seed = 0, ranks_per_node = 1;
  double lr = 3e-3, gate_skew = 0;
  int64_t rebalance_every = 0;
  std::string failed_step = "retry";  // retry | drop
  std::string backend = "gloo";
  std::string device;  // empty: cuda with --backend=nccl, else cpu
  std::string checkpoint;
  int64_t checkpoint_every = 0;
  int64_t collective_timeout_ms = 5000, print_every = 10;
  double heartbeat_timeout = 5.0, deadline = 300;
  std::string final_state, summary;
  std::string
      skip_steps;  // "STEP,STEP": drop these batches (the failure-free reference of a run with failures)

  void Define(cli::FlagSet& flags);
  std::vector<std::string> ToArgs() const;
  absl::StatusOr<ControllerOptions> ToOptions(const std::string& worker_binary) const;
};

}  // namespace warden::lazarus

#endif  // WARDEN_TOOLS_CLI_COMMANDS_LAZARUS_TRAIN_FLAGS_H_
