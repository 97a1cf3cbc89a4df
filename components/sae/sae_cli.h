// `warden sae ...` verbs.
#ifndef WARDEN_COMPONENTS_SAE_SAE_CLI_H_
#define WARDEN_COMPONENTS_SAE_SAE_CLI_H_

#include "tools/cli/command.h"

namespace warden::sae {

// Registers `warden sae train`.
void RegisterSaeCommands(cli::CommandRegistry& registry);

}  // namespace warden::sae

#endif  // WARDEN_COMPONENTS_SAE_SAE_CLI_H_
