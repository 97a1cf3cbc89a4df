// `warden clip ...` verbs.
#ifndef WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_
#define WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_

#include "tools/cli/command.h"

namespace warden::clip {

// Registers `warden clip tokenize`.
void RegisterClipCommands(cli::CommandRegistry& registry);

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_
