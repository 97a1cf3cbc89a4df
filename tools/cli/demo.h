// `warden demo`: the project's main job on embedded defaults.
//
// Each component contributes a DemoStep (in its *_cli target); the demo runs
// them in order, printing a header per step, and stops at the first failure.
#ifndef WARDEN_TOOLS_CLI_DEMO_H_
#define WARDEN_TOOLS_CLI_DEMO_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/cli/command.h"

namespace warden::cli {

struct DemoStep {
  std::string title;
  std::function<absl::Status(std::ostream& out)> run;
};

// The `warden demo` command over `steps`; --only=TITLE_PREFIX runs a subset.
std::unique_ptr<Command> MakeDemoCommand(std::vector<DemoStep> steps);

}  // namespace warden::cli

#endif  // WARDEN_TOOLS_CLI_DEMO_H_
