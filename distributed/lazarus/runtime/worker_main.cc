// The Lazarus worker process (runtime/worker.h): connects to the controller's
// TCPStore, reads the shared options there (one config path: worker_options.h),
// picks its device and trains.
//
//   lazarus_worker --port=P --id=I
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "distributed/lazarus/runtime/worker.h"
#include "distributed/lazarus/runtime/worker_options.h"

int main(int argc, char** argv) {
  using namespace warden::lazarus;
  absl::StatusOr<WorkerAddress> address = ParseWorkerArgs(argc, argv);
  if (!address.ok()) {
    std::fprintf(stderr, "lazarus_worker: %s\n", std::string(address.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<WorkerOptions> options = FetchWorkerOptions(*address, std::chrono::seconds(60));
  if (!options.ok()) {
    std::fprintf(stderr, "lazarus_worker: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  if (options->device == "cuda") {
    // This worker's GPU: its id modulo the visible devices (one process per GPU
    // on a node, as NCCL wants).
    const int64_t gpus = static_cast<int64_t>(torch::cuda::device_count());
    if (gpus == 0) {
      std::fprintf(stderr, "lazarus_worker: --device=cuda but no CUDA device is visible to this LibTorch\n");
      return 2;
    }
    options->train.device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(options->id % gpus));
    // The current device (NCCL's communicator binds to it), through the device
    // registry so that a CPU LibTorch links too.
    c10::impl::getDeviceGuardImpl(at::kCUDA)->setDevice(options->train.device);
  }
  at::set_num_threads(1);  // many workers share few cores
  absl::StatusOr<ByteCorpus> corpus = LoadSotuCorpus();
  if (!corpus.ok()) {
    std::fprintf(stderr, "lazarus_worker: %s\n", std::string(corpus.status().message()).c_str());
    return 2;
  }
  Worker worker(*options, &*corpus);
  return worker.Run();
}
