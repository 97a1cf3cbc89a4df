#include "tools/cli/commands/core.h"

#include "tools/cli/commands/data.h"
#include "tools/cli/commands/info.h"
#include "tools/cli/commands/smooth.h"
#include "tools/cli/commands/tensor.h"

namespace warden::cli {

void RegisterCoreCommands(CommandRegistry& registry) {
  registry.Add("", "info", [] { return MakeInfoCommand(); });
  tensor::RegisterDataCommands(registry);
  tensor::RegisterTensorCommands(registry);
  smoothing::RegisterSmoothCommands(registry);
}

}  // namespace warden::cli
