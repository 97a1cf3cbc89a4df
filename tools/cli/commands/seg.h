// `warden seg ...` verbs: segmentation scenes for the certified-radius-guided
// attacks (components/segdata).
#ifndef WARDEN_TOOLS_CLI_COMMANDS_SEG_H_
#define WARDEN_TOOLS_CLI_COMMANDS_SEG_H_

#include "tools/cli/command.h"

namespace warden::segdata {

// Registers `warden seg scenes`.
void RegisterSegCommands(cli::CommandRegistry& registry);

}  // namespace warden::segdata

#endif  // WARDEN_TOOLS_CLI_COMMANDS_SEG_H_
