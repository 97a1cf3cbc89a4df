// `warden itd ...` verbs: train-sae, select, classify, embed, interpret, eval.
#ifndef WARDEN_COMPONENTS_ITD_ITD_CLI_H_
#define WARDEN_COMPONENTS_ITD_ITD_CLI_H_

#include <ostream>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::itd {

// Where the committed default SAE and concept registry live (workspace-relative).
inline constexpr char kDefaultSae[] = "components/itd/models/itd-sae-l2-8k.safetensors";
inline constexpr char kDefaultRegistry[] = "components/itd/models/concepts.json";

void RegisterItdCommands(cli::CommandRegistry& registry);

// Demo: classifies a target-celebrity prompt and a neutral one with the
// default encoder, SAE and registry.
absl::Status RunItdDemo(std::ostream& out);

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_ITD_CLI_H_
