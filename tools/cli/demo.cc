#include "tools/cli/demo.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warden::cli {
namespace {

class DemoCommand : public Command {
 public:
  explicit DemoCommand(std::vector<DemoStep> steps) : steps_(std::move(steps)) {}

  std::string Summary() const override {
    return "runs the main job on embedded defaults: every component's demo, in order";
  }

  void DefineFlags(FlagSet& flags) override {
    flags.String("only", &only_, "run only the steps whose title starts with this");
  }

  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("demo takes no arguments");
    int ran = 0;
    for (size_t i = 0; i < steps_.size(); ++i) {
      const DemoStep& step = steps_[i];
      if (!only_.empty() && !absl::StartsWith(step.title, only_)) continue;
      out << absl::StrFormat("\n== [%d/%d] %s ==\n", i + 1, steps_.size(), step.title);
      out.flush();
      const auto start = std::chrono::steady_clock::now();
      absl::Status status = step.run(out);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!status.ok()) {
        return absl::Status(status.code(), absl::StrCat(step.title, ": ", status.message()));
      }
      out << absl::StrFormat("   (%.1f s)\n", seconds);
      ++ran;
    }
    if (ran == 0) return absl::InvalidArgumentError(absl::StrCat("no demo step matches --only=", only_));
    out << "\ndemo: " << ran << " step(s) done\n";
    return absl::OkStatus();
  }

 private:
  std::vector<DemoStep> steps_;
  std::string only_;
};

}  // namespace

std::unique_ptr<Command> MakeDemoCommand(std::vector<DemoStep> steps) {
  return std::make_unique<DemoCommand>(std::move(steps));
}

}  // namespace warden::cli
