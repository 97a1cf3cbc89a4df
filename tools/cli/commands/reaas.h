// `warden reaas ...` verbs: Robust Encoder as a Service (components/reaas):
// pre-train and export an encoder, serve it over gRPC with TLS, and certify
// downstream classifiers through a running service.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_REAAS_H_
#define WARDEN_TOOLS_CLI_COMMANDS_REAAS_H_

#include "tools/cli/command.h"

namespace warden::reaas {

// Registers `warden reaas train/serve/certify`.
void RegisterReaasCommands(cli::CommandRegistry& registry);

}  // namespace warden::reaas

#endif  // WARDEN_TOOLS_CLI_COMMANDS_REAAS_H_
