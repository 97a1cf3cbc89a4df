// A c10d::ProcessGroup over raw NCCL (built only with --config=cuda), so the
// Lazarus runtime's collectives run on NCCL even with a LibTorch that was built
// without it (Debian's). It implements what the runtime calls: allreduce,
// broadcast, allgather, alltoall_base (variable splits, as grouped
// ncclSend/ncclRecv), send, recv and barrier.
//
// CUDA tensors are used in place; CPU tensors are staged through one device
// buffer per group (copy in, collective, copy out). Every call runs to
// completion on the group's stream before it returns (the returned Work is
// already complete); a call that has not finished within `timeout`, or whose
// communicator reports an asynchronous error (a peer died), aborts the
// communicator and throws, which is how a worker detects a failed peer, as
// with Gloo's collective timeout. The group is then unusable; the runtime
// builds a new one for the next generation.
//
// Rank r uses GPU r mod (visible devices). NCCL wants distinct GPUs per rank
// within a communicator, so a machine with one GPU runs world size 1 only.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_NCCL_GROUP_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_NCCL_GROUP_H_

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

#include "absl/status/statusor.h"

namespace warden::lazarus {

// Rank 0 creates the NCCL unique id and publishes it in `store` (under
// "nccl_unique_id"; give each generation its own PrefixStore); the others read
// it, then every rank initialises its communicator.
absl::StatusOr<c10::intrusive_ptr<c10d::ProcessGroup>> CreateNcclGroup(const c10::intrusive_ptr<c10d::Store>& store,
                                                                      int rank, int world,
                                                                      std::chrono::milliseconds timeout);

// Visible CUDA devices (0 without a driver or GPU).
int CudaDeviceCount();

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_NCCL_GROUP_H_
