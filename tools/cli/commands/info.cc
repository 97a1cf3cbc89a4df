#include "tools/cli/commands/info.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <string>
#include <vector>

#include "tools/cli/commands/data.h"

namespace warden {
namespace {

class InfoCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "prints the LibTorch version, devices and data sets this build uses";
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("info takes no arguments");
    if (absl::Status s = PrintRuntimeInfo(out); !s.ok()) return s;
    absl::Status data = tensor::PrintDataStatus(out);
    return data.code() == absl::StatusCode::kFailedPrecondition ? absl::OkStatus() : data;
  }
};

}  // namespace

absl::Status PrintRuntimeInfo(std::ostream& out) {
  out << "LibTorch " << TORCH_VERSION << " (" << at::get_num_threads() << " intra-op threads)\n";
  const bool cuda = torch::cuda::is_available();
  out << "CUDA: "
      << (cuda ? std::to_string(torch::cuda::device_count()) + " device(s)"
               : std::string("not available (CPU only)"))
      << "\n";
  return absl::OkStatus();
}

std::unique_ptr<cli::Command> MakeInfoCommand() { return std::make_unique<InfoCommand>(); }

}  // namespace warden
