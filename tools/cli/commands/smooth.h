// `warden smooth ...` verbs (train, certify) and the smoothing demo step.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_SMOOTH_H_
#define WARDEN_TOOLS_CLI_COMMANDS_SMOOTH_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::smoothing {

void RegisterSmoothCommands(cli::CommandRegistry& registry);

// Demo: certifies 25 MNIST test digits with the embedded σ = 0.25 model
// (n = 2000) and prints the certified-accuracy table; writes the TSV and plot
// under $TMPDIR.
absl::Status RunSmoothingDemo(std::ostream& out);

}  // namespace warden::smoothing

#endif  // WARDEN_TOOLS_CLI_COMMANDS_SMOOTH_H_
