// `warden itd ...` verbs: train-sae, select, classify, embed, interpret, eval.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_ITD_H_
#define WARDEN_TOOLS_CLI_COMMANDS_ITD_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::itd {

void RegisterItdCommands(cli::CommandRegistry& registry);

// Demo: classifies a target-celebrity prompt and a neutral one with the
// default encoder, SAE and registry.
absl::Status RunItdDemo(std::ostream& out);

}  // namespace warden::itd

#endif  // WARDEN_TOOLS_CLI_COMMANDS_ITD_H_
