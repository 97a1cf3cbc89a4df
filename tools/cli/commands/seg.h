// `warden seg ...` verbs: segmentation scenes for the certified-radius-guided
// attacks (components/segdata).
#ifndef WARDEN_TOOLS_CLI_COMMANDS_SEG_H_
#define WARDEN_TOOLS_CLI_COMMANDS_SEG_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::segdata {

// Registers `warden seg scenes/train/certify/attack`.
void RegisterSegCommands(cli::CommandRegistry& registry);

// The demo's step: a small U-Net trained briefly, then PGD and CR-PGD on it.
absl::Status RunSegDemo(std::ostream& out);

}  // namespace warden::segdata

#endif  // WARDEN_TOOLS_CLI_COMMANDS_SEG_H_
