// `warden web ...` verbs: the browser demo's model bundle and its local server.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_WEB_H_
#define WARDEN_TOOLS_CLI_COMMANDS_WEB_H_

#include "tools/cli/command.h"

namespace warden::web {

// Registers `warden web export` and `warden web serve`.
void RegisterWebCommands(cli::CommandRegistry& registry);

}  // namespace warden::web

#endif  // WARDEN_TOOLS_CLI_COMMANDS_WEB_H_
