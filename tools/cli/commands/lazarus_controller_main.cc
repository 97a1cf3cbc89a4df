// lazarus_controller: runs one Lazarus training job on loopback (see
// controller.h); `warden lazarus train` starts it. Prints the timeline, then
// one JSON summary line. Exit 0 on success, 2 on bad flags, 1 on failure.
//
//   lazarus_controller --worker_binary=PATH [train flags, see lazarus_train_flags.h]
#include <torch/torch.h>

#include <cstdio>
#include <iostream>

#include "components/tensor/atomic_file.h"
#include "distributed/lazarus/runtime/controller.h"
#include "tools/cli/commands/lazarus_train_flags.h"
#include "tools/cli/flags.h"

int main(int argc, char** argv) {
  using namespace warden;
  lazarus::TrainFlags flags;
  std::string worker_binary;
  cli::FlagSet set;
  flags.Define(set);
  set.String("worker_binary", &worker_binary, "the lazarus_worker executable");
  std::vector<std::string> positional;
  absl::Status parsed = set.Parse(std::vector<std::string>(argv + 1, argv + argc), &positional);
  if (!parsed.ok() || !positional.empty() || worker_binary.empty()) {
    std::cerr << "lazarus_controller: "
              << (parsed.ok() ? "need --worker_binary and no arguments" : parsed.message()) << "\n"
              << set.Usage();
    return 2;
  }
  absl::StatusOr<lazarus::ControllerOptions> options = flags.ToOptions(worker_binary);
  if (!options.ok()) {
    std::cerr << "lazarus_controller: " << options.status().message() << "\n";
    return 2;
  }
  at::set_num_threads(1);
  absl::StatusOr<lazarus::RunSummary> summary = lazarus::RunController(*options, std::cout);
  if (!summary.ok()) {
    std::cerr << "lazarus_controller: " << summary.status().message() << "\n";
    return 1;
  }
  const std::string json = summary->ToJson();
  std::cout << json << std::endl;
  if (!flags.summary.empty()) {
    if (absl::Status s = tensor::WriteTextAtomically(flags.summary, json + "\n"); !s.ok()) {
      std::cerr << "lazarus_controller: " << s.message() << "\n";
      return 1;
    }
  }
  return 0;
}
