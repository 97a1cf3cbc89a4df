#include "distributed/lazarus/runtime/process_group.h"

#include <signal.h>
#include <stdlib.h>
#include <torch/version.h>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "absl/strings/str_cat.h"

// LibTorch 2.x: backends are c10d::Backend, wrapped in a c10d::ProcessGroup.
#define WARDEN_C10D_BACKENDS (TORCH_VERSION_MAJOR >= 2)

namespace warden::lazarus {
namespace {

#if WARDEN_C10D_BACKENDS
// A ProcessGroup that sends the given device types to `backend`.
c10::intrusive_ptr<c10d::ProcessGroup> Wrap(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world,
                                            c10d::ProcessGroup::BackendType type,
                                            const c10::intrusive_ptr<c10d::Backend>& backend,
                                            std::initializer_list<c10::DeviceType> devices) {
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store, rank, world);
  for (c10::DeviceType device : devices) group->setBackend(device, type, backend);
  group->setDefaultBackend(type);
  return group;
}
#endif

}  // namespace

c10::intrusive_ptr<c10d::ProcessGroup> MakeGlooGroup(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                     int world, std::chrono::milliseconds timeout,
                                                     const std::string& hostname) {
  // A peer that dies mid-run closes its sockets; Gloo's next write to one must
  // fail with EPIPE (an exception the caller recovers from), not raise SIGPIPE,
  // whose default action kills this survivor too. Seen as exit by signal 13 in
  // process_group_test's dead-peer case.
  ::signal(SIGPIPE, SIG_IGN);
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(hostname));
  options->timeout = timeout;
  auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
#if WARDEN_C10D_BACKENDS
  return Wrap(store, rank, world, c10d::ProcessGroup::BackendType::GLOO, gloo,
              {c10::DeviceType::CPU, c10::DeviceType::CUDA});
#else
  return gloo;
#endif
}

bool NcclCompiledIn() {
#ifdef USE_C10D_NCCL
  return true;
#else
  return false;
#endif
}

absl::StatusOr<c10::intrusive_ptr<c10d::ProcessGroup>> MakeNcclGroup(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int world, std::chrono::milliseconds timeout) {
#ifdef USE_C10D_NCCL
  // Clean up only: on a timeout or an NCCL error the watchdog aborts the
  // communicators and the pending work throws; the default (tear down) would
  // kill this process, which must survive its peer. Both spellings: 1.13
  // reads NCCL_ASYNC_ERROR_HANDLING, 2.x prefers TORCH_NCCL_ASYNC_ERROR_HANDLING.
  setenv("NCCL_ASYNC_ERROR_HANDLING", "2", /*overwrite=*/0);
  setenv("TORCH_NCCL_ASYNC_ERROR_HANDLING", "2", /*overwrite=*/0);
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
#if WARDEN_C10D_BACKENDS && defined(NCCL_HAS_CONFIG)
  options->config.blocking = 0;  // non-blocking init: a dead peer cannot wedge the constructor
#endif
  try {
    auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, options);
#if WARDEN_C10D_BACKENDS
    return Wrap(store, rank, world, c10d::ProcessGroup::BackendType::NCCL, nccl, {c10::DeviceType::CUDA});
#else
    return c10::intrusive_ptr<c10d::ProcessGroup>(nccl);
#endif
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("NCCL process group of rank ", rank, "/", world, ": ", e.what()));
  }
#else
  (void)store, (void)rank, (void)world, (void)timeout;
  return absl::FailedPreconditionError(
      "--backend=nccl needs a LibTorch built with NCCL (a CUDA LibTorch: --config=cuda on a GPU machine)");
#endif
}

void AbortGroup(const c10::intrusive_ptr<c10d::ProcessGroup>& group) {
  if (!group) return;
#if WARDEN_C10D_BACKENDS
  try {
    group->abort();
  } catch (const std::exception&) {
    // Already aborted by the watchdog, or a backend without abort.
  }
#endif
}

}  // namespace warden::lazarus
