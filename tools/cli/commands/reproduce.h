// `warden reproduce --preset=fast|full --out=DIR`: runs each paper's
// small-scale experiments with the project's own verbs (each a child
// `warden` process, so every number in the report comes with the exact
// command that made it) and writes one report, DIR/index.html and
// DIR/report.md (components/report).
#ifndef WARDEN_TOOLS_CLI_COMMANDS_REPRODUCE_H_
#define WARDEN_TOOLS_CLI_COMMANDS_REPRODUCE_H_

#include "tools/cli/command.h"

namespace warden::cli {

void RegisterReproduceCommand(CommandRegistry& registry);

}  // namespace warden::cli

#endif  // WARDEN_TOOLS_CLI_COMMANDS_REPRODUCE_H_
