#include "tools/cli/commands/data.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "components/tensor/data_dir.h"

namespace warden::tensor {
namespace {

class DataListCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "lists the data sets tools/setup installs, and whether each is present";
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("data list takes no arguments");
    absl::Status status = PrintDataStatus(out);
    // Listing is informational: missing data is reported, not an error.
    return status.code() == absl::StatusCode::kFailedPrecondition ? absl::OkStatus() : status;
  }
};

class DataCheckCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "checks that the named data sets (default: all) are installed";
  }
  std::string ArgsUsage() const override { return "[NAME...]"; }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    std::vector<Dataset> wanted;
    if (args.empty()) wanted = KnownDatasets();
    for (const std::string& name : args) {
      absl::StatusOr<Dataset> dataset = FindDataset(name);
      if (!dataset.ok()) return dataset.status();
      wanted.push_back(*dataset);
    }
    for (const Dataset& dataset : wanted) {
      if (absl::Status s = CheckDataset(dataset); !s.ok()) return s;
      out << dataset.name << ": ok\n";
    }
    return absl::OkStatus();
  }
};

}  // namespace

absl::Status PrintDataStatus(std::ostream& out) {
  out << "data directory: " << DataDir() << "\n";
  int missing = 0;
  for (const Dataset& dataset : KnownDatasets()) {
    const bool present = CheckDataset(dataset).ok();
    missing += present ? 0 : 1;
    out << absl::StrFormat("  %-14s %-8s %s  [%s]\n", dataset.name, present ? "ok" : "MISSING",
                           dataset.description, dataset.source);
  }
  if (missing > 0) {
    out << "  " << missing << " data set(s) missing: run tools/setup\n";
    return absl::FailedPreconditionError(
        absl::StrCat(missing, " data set(s) missing in ", DataDir(), ": run tools/setup"));
  }
  return absl::OkStatus();
}

void RegisterDataCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("data", "the data sets laid out by tools/setup");
  registry.Add("data", "list", [] { return std::make_unique<DataListCommand>(); });
  registry.Add("data", "check", [] { return std::make_unique<DataCheckCommand>(); });

  static std::string* data_dir = new std::string();
  registry.AddGlobalFlags(
      [](cli::FlagSet& flags) {
        flags.String("data_dir", data_dir,
                     "data directory (default $WARDEN_DATA_DIR or ~/.local/share/warden)");
      },
      [] {
        if (!data_dir->empty()) SetDataDirOverride(*data_dir);
        return absl::OkStatus();
      });
}

}  // namespace warden::tensor
