// `warden clip ...` verbs.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_CLIP_H_
#define WARDEN_TOOLS_CLI_COMMANDS_CLIP_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::clip {

// Registers `warden clip tokenize`, `encode` and `pretrain`.
void RegisterClipCommands(cli::CommandRegistry& registry);

// Demo: tokenizes a prompt and shows the default encoder's next-token guesses.
absl::Status RunClipDemo(std::ostream& out);

}  // namespace warden::clip

#endif  // WARDEN_TOOLS_CLI_COMMANDS_CLIP_H_
