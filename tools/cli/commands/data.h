// `warden data ...` verbs and the demo step that reports the data sets.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_DATA_H_
#define WARDEN_TOOLS_CLI_COMMANDS_DATA_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::tensor {

// Registers `warden data list` and `warden data check`, and the global
// --data_dir flag, on `registry`.
void RegisterDataCommands(cli::CommandRegistry& registry);

// Prints the data directory and, per data set, whether it is installed.
// FailedPrecondition if any is missing.
absl::Status PrintDataStatus(std::ostream& out);

}  // namespace warden::tensor

#endif  // WARDEN_TOOLS_CLI_COMMANDS_DATA_H_
