// `warden sae ...` verbs.
#ifndef WARDEN_TOOLS_CLI_COMMANDS_SAE_H_
#define WARDEN_TOOLS_CLI_COMMANDS_SAE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/sae/sae.h"
#include "components/sae/sae_train.h"
#include "tools/cli/command.h"

namespace warden::sae {

// The training prompts for a seed.
using SaeCorpusFn = std::function<absl::StatusOr<std::vector<std::string>>(uint64_t seed)>;

struct SaeTrainDefaults {
  SaeConfig sae;
  SaeTrainConfig train;
  std::string out = "sae.safetensors";
  bool half = false;
};

// A training verb over `corpus` with the given flag defaults (`warden sae
// train` uses the encoder's pre-training corpus; `warden itd train-sae` adds
// unsafe terms and the ItD defaults).
std::unique_ptr<cli::Command> MakeSaeTrainCommand(SaeCorpusFn corpus, const SaeTrainDefaults& defaults);

// Registers `warden sae train`.
void RegisterSaeCommands(cli::CommandRegistry& registry);

}  // namespace warden::sae

#endif  // WARDEN_TOOLS_CLI_COMMANDS_SAE_H_
