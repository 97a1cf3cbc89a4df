// `warden secure ...` verbs: pre-trained encoders for secure learning
// (components/secure_learning): the measurement and the DP accountant.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_SECURE_H_
#define WARDEN_TOOLS_CLI_COMMANDS_SECURE_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::secure_learning {

// Registers `warden secure measure/accountant`.
void RegisterSecureCommands(cli::CommandRegistry& registry);

// The `warden demo` step: the CI preset of the measurement on MNIST, pixels
// beside the encoder for every defence.
absl::Status RunSecureDemo(std::ostream& out);

}  // namespace warden::secure_learning

#endif  // WARDEN_TOOLS_CLI_COMMANDS_SECURE_H_
