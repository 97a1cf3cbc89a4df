// `warden web ...` verbs: the browser demo's model bundle and its local server.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_WEB_H_
#define WARDEN_TOOLS_CLI_COMMANDS_WEB_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::web {

// Registers `warden web export` and `warden web serve`.
void RegisterWebCommands(cli::CommandRegistry& registry);

// `warden demo`'s step: exports the browser demo's bundle from the defaults
// into $TMPDIR/warden-web-bundle and says how to serve it.
absl::Status RunWebDemo(std::ostream& out);

}  // namespace warden::web

#endif  // WARDEN_TOOLS_CLI_COMMANDS_WEB_H_
