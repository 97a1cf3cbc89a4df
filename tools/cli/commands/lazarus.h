// `warden lazarus ...` verbs and the Lazarus demo step.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_LAZARUS_H_
#define WARDEN_TOOLS_CLI_COMMANDS_LAZARUS_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::lazarus {

// Registers `warden lazarus plan`.
void RegisterLazarusCommands(cli::CommandRegistry& registry);

// Demo: the spec's worked example (10 nodes, 6 slots, f = 2, skewed loads) and
// its counterexample to MRO's optimality, with recovery probabilities.
absl::Status RunLazarusDemo(std::ostream& out);
// Demo: a 30-step run on 4 local workers with one SIGKILL, recovered without a checkpoint.
absl::Status RunLazarusRecoveryDemo(std::ostream& out);

}  // namespace warden::lazarus

#endif  // WARDEN_TOOLS_CLI_COMMANDS_LAZARUS_H_
