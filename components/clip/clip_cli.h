// `warden clip ...` verbs.
#ifndef WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_
#define WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::clip {

// Where the committed default text encoder lives (workspace-relative).
inline constexpr char kDefaultTextEncoder[] = "components/clip/models/warden-clip-text-s";

// Registers `warden clip tokenize`, `encode` and `pretrain`.
void RegisterClipCommands(cli::CommandRegistry& registry);

// Demo: tokenizes a prompt and shows the default encoder's next-token guesses.
absl::Status RunClipDemo(std::ostream& out);

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_
