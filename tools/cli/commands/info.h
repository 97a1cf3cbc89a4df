// `warden info`: what this build of Warden runs on (LibTorch, devices, data).
#ifndef WARDEN_TOOLS_CLI_COMMANDS_INFO_H_
#define WARDEN_TOOLS_CLI_COMMANDS_INFO_H_

#include <memory>
#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden {

std::unique_ptr<cli::Command> MakeInfoCommand();

// Prints the LibTorch version, its thread count and the CUDA devices it sees.
absl::Status PrintRuntimeInfo(std::ostream& out);

}  // namespace warden

#endif  // WARDEN_TOOLS_CLI_COMMANDS_INFO_H_
