// `warden clip ...` verbs.
#ifndef WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_
#define WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "tools/cli/command.h"

namespace warden::clip {

// Where the committed default text encoder lives (workspace-relative).
inline constexpr char kDefaultTextEncoder[] = "components/clip/models/warden-clip-text-s";

// The HF CLIPTextModel at `weights`, or, when empty, the committed default
// encoder found beside the running binary (NotFound if it is not there).
absl::StatusOr<ClipTextModel> LoadTextEncoder(const std::string& weights);

// Registers `warden clip tokenize`, `encode` and `pretrain`.
void RegisterClipCommands(cli::CommandRegistry& registry);

// Demo: tokenizes a prompt and shows the default encoder's next-token guesses.
absl::Status RunClipDemo(std::ostream& out);

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_CLIP_CLI_H_
