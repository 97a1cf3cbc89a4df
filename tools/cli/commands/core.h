// The verbs every `warden` build has: info, data, tensor and smooth. The full
// CLI (tools/warden_main.cc) adds the other groups; `warden_smooth`
// (tools/warden_smooth_main.cc, the GPU hosts' CMake build) has these alone.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_CORE_H_
#define WARDEN_TOOLS_CLI_COMMANDS_CORE_H_

#include "tools/cli/command.h"

namespace warden::cli {

void RegisterCoreCommands(CommandRegistry& registry);

}  // namespace warden::cli

#endif  // WARDEN_TOOLS_CLI_COMMANDS_CORE_H_
