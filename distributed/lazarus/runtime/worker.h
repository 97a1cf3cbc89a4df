// A Lazarus worker (spec §1): registers with the controller's TCPStore,
// heartbeats, and trains generation after generation. In each generation it
// joins a fresh process group of the members (Gloo, or NCCL with a CUDA
// LibTorch: process_group.h), takes the dense state from a survivor,
// exchanges expert replicas (weights and Adam state) as the plan's transfers
// say, and steps until the run ends, a new generation is announced (a join;
// all ranks switch after the same step), or a collective fails (a peer died):
// then it reports its last applied step and waits for the controller's next
// generation. No checkpoint is read unless the controller says every replica
// of some expert was lost. The binary around it is worker_main.cc.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_WORKER_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_WORKER_H_

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "distributed/lazarus/runtime/moe_model.h"
#include "distributed/lazarus/runtime/worker_options.h"

namespace warden::lazarus {

class Worker {
 public:
  // `corpus` must outlive the worker.
  Worker(const WorkerOptions& options, const ByteCorpus* corpus);
  ~Worker();
  // Trains until the run ends or this worker is left out; the process's exit code.
  int Run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads the shared options from the controller's store at `address`
// (protocol::kWorkerConfig), waiting up to `timeout` for them to appear.
absl::StatusOr<WorkerOptions> FetchWorkerOptions(const WorkerAddress& address,
                                                 std::chrono::milliseconds timeout);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_WORKER_H_
