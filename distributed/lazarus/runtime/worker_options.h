// A worker's options: one JSON document the controller writes into its
// TCPStore (protocol::kWorkerConfig) and every worker reads, so there is one
// config path; a worker's command line is only where that store is and who
// it is: `lazarus_worker --port=P --id=I`. Also the training text both use.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_WORKER_OPTIONS_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_WORKER_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distributed/lazarus/runtime/moe_model.h"
#include "distributed/lazarus/runtime/trainer.h"

namespace warden::lazarus {

struct WorkerOptions {
  int port = 0;  // the controller's TCPStore on 127.0.0.1
  int id = 0;    // physical worker id (stable across generations)
  int64_t steps = 100;
  TrainConfig train;
  std::string checkpoint;        // path of the shared checkpoint
  int64_t checkpoint_every = 0;  // steps; 0 = never
  int64_t collective_timeout_ms = 5000;
  std::string final_state;          // every rank's final state: FinalStatePath(final_state, rank)
  std::vector<int64_t> skip_steps;  // steps whose batch is dropped (a failure-free reference run)
  std::string backend = "gloo";     // "gloo", or "nccl" with a CUDA LibTorch (NcclCompiledIn())
  std::string device = "cpu";       // "cpu" or "cuda" (cuda:<id mod GPUs>); nccl implies cuda
  // Fault injection, (worker id, step): that worker counts the step's
  // all-reduce as failed after it completed (a transient fault only one rank
  // sees): the others applied the step, it did not, and it must catch up.
  std::vector<std::pair<int, int64_t>> reduce_faults;
};

// The shared options as JSON (everything but port and id).
std::string WorkerConfigJson(const WorkerOptions& options);
// Options from that JSON plus this worker's port and id. InvalidArgument
// naming the field for a malformed document, an unknown or mistyped field, or
// values that cannot train (width not divisible by heads, top_k outside
// [1, experts], no batch, an unknown backend or device).
absl::StatusOr<WorkerOptions> WorkerOptionsFromJson(const std::string& json, int port, int id);

// A worker's command line: --port=P --id=I, nothing else.
struct WorkerAddress {
  int port = 0;
  int id = 0;
};
std::vector<std::string> WorkerArgs(const WorkerAddress& address);
absl::StatusOr<WorkerAddress> ParseWorkerArgs(int argc, char** argv);

// The State of the Union sentences joined by spaces, as bytes.
absl::StatusOr<ByteCorpus> LoadSotuCorpus();

// Where rank `rank` writes its final state (dense and its experts, each with
// Adam's moments): `final_state` itself for rank 0, `final_state`.rank<k> else.
std::string FinalStatePath(const std::string& final_state, int rank);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_WORKER_OPTIONS_H_
