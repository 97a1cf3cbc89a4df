// The c10d process groups the Lazarus runtime trains over, one API across
// LibTorch versions. In 1.13 ProcessGroupGloo and ProcessGroupNCCL are
// c10d::ProcessGroups themselves; from 2.0 they are c10d::Backends that a
// c10d::ProcessGroup dispatches to by tensor device. Callers see a
// ProcessGroup either way.
//
// Gloo serves CPU tensors and, in a CUDA LibTorch, CUDA tensors too (that is
// how several ranks train on one GPU). NCCL exists only where LibTorch was
// built with it (USE_C10D_NCCL, set by //third_party/torch when the LibTorch
// has CUDA): the group is made with a collective timeout, non-blocking
// communicator init where NCCL supports it, and the "clean up only" async error
// mode, so a collective whose peer died fails with an exception after the
// timeout (the communicator aborted) and the process lives on to join the next
// generation — the survivor path of docs/specs/lazarus.md §5.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROCESS_GROUP_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROCESS_GROUP_H_

#include <chrono>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include "absl/status/statusor.h"

namespace warden::lazarus {

// Gloo over the interface of `hostname` (127.0.0.1: loopback, one machine).
// Ignores SIGPIPE in this process (a dead peer must be an exception from the
// next collective, not a signal that kills the survivor).
c10::intrusive_ptr<c10d::ProcessGroup> MakeGlooGroup(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                     int world, std::chrono::milliseconds timeout,
                                                     const std::string& hostname = "127.0.0.1");

// True when this build's LibTorch has c10d's NCCL backend.
bool NcclCompiledIn();

// NCCL on the current CUDA device (set it first: cuda:<local rank>). Fails
// with FailedPrecondition when NCCL is not compiled in.
absl::StatusOr<c10::intrusive_ptr<c10d::ProcessGroup>> MakeNcclGroup(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int world, std::chrono::milliseconds timeout);

// Aborts a group after a failed collective so that no thread of it waits on a
// dead peer (NCCL communicators; a no-op where the version cannot abort).
void AbortGroup(const c10::intrusive_ptr<c10d::ProcessGroup>& group);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROCESS_GROUP_H_
