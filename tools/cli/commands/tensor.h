// `warden tensor ...` verbs and the tensor layer's demo step.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_TENSOR_H_
#define WARDEN_TOOLS_CLI_COMMANDS_TENSOR_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::tensor {

// Registers `warden tensor inspect`.
void RegisterTensorCommands(cli::CommandRegistry& registry);

// Demo: loads MNIST's test split, draws seeded noise, round-trips a checkpoint
// through a temporary file and inspects it.
absl::Status RunTensorDemo(std::ostream& out);

}  // namespace warden::tensor

#endif  // WARDEN_TOOLS_CLI_COMMANDS_TENSOR_H_
