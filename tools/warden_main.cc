// The `warden` command line: one binary, a group of verbs per component.
// Components add their verbs here as they land (see tools/cli/command.h).
#include <iostream>
#include <memory>

#include "components/tensor/runtime.h"
#include "tools/cli/command.h"
#include "tools/cli/commands/clip.h"
#include "tools/cli/commands/core.h"
#include "tools/cli/commands/data.h"
#include "tools/cli/commands/info.h"
#include "tools/cli/commands/itd.h"
#include "tools/cli/commands/lazarus.h"
#include "tools/cli/commands/reaas.h"
#include "tools/cli/commands/reproduce.h"
#include "tools/cli/commands/sae.h"
#include "tools/cli/commands/secure.h"
#include "tools/cli/commands/seg.h"
#include "tools/cli/commands/smooth.h"
#include "tools/cli/commands/tensor.h"
#include "tools/cli/commands/web.h"
#include "tools/cli/demo.h"

int main(int argc, char** argv) {
  using warden::cli::DemoStep;
  warden::tensor::InitTorchRuntime();
  warden::cli::CommandRegistry registry;
  warden::cli::RegisterCoreCommands(registry);
  warden::lazarus::RegisterLazarusCommands(registry);
  warden::clip::RegisterClipCommands(registry);
  warden::sae::RegisterSaeCommands(registry);
  warden::itd::RegisterItdCommands(registry);
  warden::secure_learning::RegisterSecureCommands(registry);
  warden::reaas::RegisterReaasCommands(registry);
  warden::segdata::RegisterSegCommands(registry);
  warden::web::RegisterWebCommands(registry);
  warden::cli::RegisterReproduceCommand(registry);

  registry.Add("", "demo", [] {
    return warden::cli::MakeDemoCommand({
        DemoStep{"runtime", warden::PrintRuntimeInfo},
        DemoStep{"data sets", warden::tensor::PrintDataStatus},
        DemoStep{"tensor layer", warden::tensor::RunTensorDemo},
        DemoStep{"randomized smoothing", warden::smoothing::RunSmoothingDemo},
        DemoStep{"lazarus planner", warden::lazarus::RunLazarusDemo},
        DemoStep{"clip text encoder", warden::clip::RunClipDemo},
        DemoStep{"itd concept filter", warden::itd::RunItdDemo},
        DemoStep{"lazarus recovery", warden::lazarus::RunLazarusRecoveryDemo},
        DemoStep{"certified-radius attacks", warden::segdata::RunSegDemo},
        DemoStep{"secure learning", warden::secure_learning::RunSecureDemo},
        DemoStep{"browser demo bundle", warden::web::RunWebDemo},
    });
  });
  return registry.Main(argc, argv, std::cout, std::cerr);
}
