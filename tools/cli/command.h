// The `warden` command line: `warden <group> <verb> [--flags] [args]`.
//
// A component contributes a group of verbs by registering Command factories on
// a CommandRegistry (see tools/warden_main.cc). A few verbs live at the top
// level (`warden demo`, `warden info`). --help works at every level.
//
// Exit codes: 0 success; 2 bad input (unknown verb or flag, malformed file,
// missing data: any InvalidArgument, NotFound, OutOfRange, DataLoss or
// FailedPrecondition); 1 any other failure. Errors print as one line on stderr.
#ifndef WARDEN_TOOLS_CLI_COMMAND_H_
#define WARDEN_TOOLS_CLI_COMMAND_H_

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/cli/flags.h"

namespace warden::cli {

// One verb. Flags bind to fields of the command object in DefineFlags; Run is
// called once, after parsing, with the positional arguments.
class Command {
 public:
  virtual ~Command() = default;

  // One line for the verb listing.
  virtual std::string Summary() const = 0;
  // The positional arguments, e.g. "FILE" (shown by --help); empty if none.
  virtual std::string ArgsUsage() const { return ""; }
  virtual void DefineFlags(FlagSet& flags) {}
  virtual absl::Status Run(const std::vector<std::string>& args, std::ostream& out) = 0;
};

using CommandFactory = std::function<std::unique_ptr<Command>()>;

class CommandRegistry {
 public:
  // Declares a group (`warden <group> ...`) with a one-line description.
  void AddGroup(const std::string& group, const std::string& summary);
  // Registers `warden <group> <verb>`; group "" registers a top-level verb.
  void Add(const std::string& group, const std::string& verb, CommandFactory factory);

  // Adds flags that every verb accepts (e.g. --data_dir). `define` binds them;
  // `apply` runs after parsing and before the verb.
  void AddGlobalFlags(std::function<void(FlagSet&)> define, std::function<absl::Status()> apply);

  // Runs the command named by argv; returns the process exit code.
  int Main(int argc, char** argv, std::ostream& out, std::ostream& err) const;

 private:
  struct Group {
    std::string summary;
    std::map<std::string, CommandFactory> verbs;
  };
  std::string TopUsage() const;
  std::string GroupUsage(const std::string& group) const;
  int RunVerb(const std::string& path, const CommandFactory& factory,
              const std::vector<std::string>& args, std::ostream& out, std::ostream& err) const;

  std::map<std::string, Group> groups_;
  std::vector<std::function<void(FlagSet&)>> global_defines_;
  std::vector<std::function<absl::Status()>> global_appliers_;
};

// Maps a Status to the exit code described above.
int ExitCodeFor(const absl::Status& status);

}  // namespace warden::cli

#endif  // WARDEN_TOOLS_CLI_COMMAND_H_
