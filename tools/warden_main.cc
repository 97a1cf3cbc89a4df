// The `warden` command line: one binary, a group of verbs per component.
// Components add their verbs here as they land (see tools/cli/command.h).
#include <iostream>
#include <memory>

#include "components/clip/clip_cli.h"
#include "components/itd/itd_cli.h"
#include "components/sae/sae_cli.h"
#include "components/smoothing/smooth_cli.h"
#include "distributed/lazarus/lazarus_cli.h"
#include "components/tensor/data_cli.h"
#include "components/tensor/runtime.h"
#include "components/tensor/tensor_cli.h"
#include "tools/cli/command.h"
#include "tools/cli/demo.h"
#include "tools/info_command.h"

int main(int argc, char** argv) {
  using warden::cli::DemoStep;
  warden::tensor::InitTorchRuntime();
  warden::cli::CommandRegistry registry;
  registry.Add("", "info", [] { return warden::MakeInfoCommand(); });
  warden::tensor::RegisterDataCommands(registry);
  warden::tensor::RegisterTensorCommands(registry);
  warden::smoothing::RegisterSmoothCommands(registry);
  warden::lazarus::RegisterLazarusCommands(registry);
  warden::clip::RegisterClipCommands(registry);
  warden::sae::RegisterSaeCommands(registry);
  warden::itd::RegisterItdCommands(registry);

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
    });
  });
  return registry.Main(argc, argv, std::cout, std::cerr);
}
