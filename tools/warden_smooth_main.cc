// `warden_smooth`: the CLI's data, tensor and smooth verbs alone — the part of
// `warden` that GPU hosts build without Bazel (tools/cmake/targets.txt), where
// the CLIP, ItD and Lazarus groups are not needed to certify a model.
#include <iostream>

#include "components/tensor/runtime.h"
#include "tools/cli/command.h"
#include "tools/cli/commands/core.h"

int main(int argc, char** argv) {
  warden::tensor::InitTorchRuntime();
  warden::cli::CommandRegistry registry;
  warden::cli::RegisterCoreCommands(registry);
  return registry.Main(argc, argv, std::cout, std::cerr);
}
