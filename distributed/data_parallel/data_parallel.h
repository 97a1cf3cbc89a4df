// Data-parallel SAE training over c10d (Gloo here, NCCL-capable groups from
// distributed/lazarus/runtime/process_group.h): the c10d implementation of
// sae::StepCollective, joining a group from a launcher's environment, and a
// local launcher for one machine.
//
// Launchers: any that sets torchrun's variables — RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT (torchrun itself, a Slurm or Kubernetes wrapper,
// RunLocalRanks below). Rank 0 serves the c10d TCPStore at MASTER_ADDR:PORT.
// The training loop is components/sae/sae_train.h's TrainSaeOnClip with the
// collective; docs/scale_out.md has the recipes.
#ifndef WARDEN_DISTRIBUTED_DATA_PARALLEL_DATA_PARALLEL_H_
#define WARDEN_DISTRIBUTED_DATA_PARALLEL_DATA_PARALLEL_H_

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <vector>

#include "absl/status/statusor.h"
#include "components/sae/sae.h"
#include "components/tensor/shard.h"

namespace warden::data_parallel {

struct LaunchEnv {
  int rank = 0;
  int world = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
};

// The launcher's variables; nullopt when WORLD_SIZE is unset (not launched as
// a rank). A partial or malformed set is an error naming the variable.
absl::StatusOr<std::optional<LaunchEnv>> LaunchEnvFromEnvironment(const tensor::EnvLookup& env = std::getenv);

// sae::StepCollective over a c10d process group (CPU tensors).
class C10dCollective : public sae::StepCollective {
 public:
  C10dCollective(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<c10d::ProcessGroup> group);
  int rank() const override;
  int world() const override;
  absl::Status SumInPlace(at::Tensor& t) override;
  absl::Status BroadcastFromRoot(at::Tensor& t) override;

 private:
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
};

// Joins the group `env` describes: rank 0 serves the TCPStore, everyone meets
// there and builds a Gloo group (over loopback when MASTER_ADDR is local, else
// over the interface of this host's name). Fails after `timeout` without peers.
absl::StatusOr<std::unique_ptr<C10dCollective>> JoinGroup(const LaunchEnv& env,
                                                          std::chrono::milliseconds timeout);

// A free TCP port on 127.0.0.1 (bound and released: another process may take
// it before it is used, which the join then reports).
absl::StatusOr<int> FreeLocalPort();

// The local launcher: runs `argv` as `nproc` processes with RANK, WORLD_SIZE,
// MASTER_ADDR=127.0.0.1 and MASTER_PORT set, and OMP_NUM_THREADS (unless set)
// to this machine's cores / nproc; waits for all of them. When one fails the
// others are terminated; the error names the first rank that failed.
absl::Status RunLocalRanks(const std::vector<std::string>& argv, int nproc);

// This process's own command line (/proc/self/cmdline), for re-launching it.
absl::StatusOr<std::vector<std::string>> OwnCommandLine();

}  // namespace warden::data_parallel

#endif  // WARDEN_DISTRIBUTED_DATA_PARALLEL_DATA_PARALLEL_H_
