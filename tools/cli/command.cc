#include "tools/cli/command.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warden::cli {
namespace {

bool IsHelp(const std::string& arg) { return arg == "--help" || arg == "-h" || arg == "help"; }

}  // namespace

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return 2;
    default:
      return 1;
  }
}

void CommandRegistry::AddGroup(const std::string& group, const std::string& summary) {
  groups_[group].summary = summary;
}

void CommandRegistry::Add(const std::string& group, const std::string& verb,
                          CommandFactory factory) {
  groups_[group].verbs[verb] = std::move(factory);
}

void CommandRegistry::AddGlobalFlags(std::function<void(FlagSet&)> define,
                                     std::function<absl::Status()> apply) {
  global_defines_.push_back(std::move(define));
  global_appliers_.push_back(std::move(apply));
}

std::string CommandRegistry::TopUsage() const {
  std::string out =
      "usage: warden <command> [--flags] [args]\n"
      "       warden <group> <verb> [--flags] [args]\n"
      "       warden <group> --help | warden <group> <verb> --help\n\n";
  if (auto top = groups_.find(""); top != groups_.end()) {
    out += "commands:\n";
    for (const auto& [verb, factory] : top->second.verbs) {
      absl::StrAppendFormat(&out, "  %-12s %s\n", verb, factory()->Summary());
    }
    out += "\n";
  }
  out += "groups:\n";
  for (const auto& [name, group] : groups_) {
    if (!name.empty()) absl::StrAppendFormat(&out, "  %-12s %s\n", name, group.summary);
  }
  return out;
}

std::string CommandRegistry::GroupUsage(const std::string& group) const {
  const Group& g = groups_.at(group);
  std::string out = absl::StrFormat("usage: warden %s <verb> [--flags] [args]\n\n%s\n\nverbs:\n",
                                    group, g.summary);
  for (const auto& [verb, factory] : g.verbs) {
    absl::StrAppendFormat(&out, "  %-12s %s\n", verb, factory()->Summary());
  }
  return out;
}

int CommandRegistry::RunVerb(const std::string& path, const CommandFactory& factory,
                             const std::vector<std::string>& args, std::ostream& out,
                             std::ostream& err) const {
  std::unique_ptr<Command> command = factory();
  FlagSet flags;
  command->DefineFlags(flags);
  FlagSet with_globals = flags;
  for (const auto& define : global_defines_) define(with_globals);

  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") {
      out << "usage: warden " << path << " [--flags] " << command->ArgsUsage() << "\n\n"
          << command->Summary() << "\n";
      if (!flags.empty()) out << "\nflags:\n" << flags.Usage();
      FlagSet globals_only;
      for (const auto& define : global_defines_) define(globals_only);
      if (!globals_only.empty()) out << "\nglobal flags:\n" << globals_only.Usage();
      return 0;
    }
  }
  std::vector<std::string> positional;
  if (absl::Status s = with_globals.Parse(args, &positional); !s.ok()) {
    err << "warden " << path << ": " << s.message() << " (see --help)\n";
    return 2;
  }
  for (const auto& apply : global_appliers_) {
    if (absl::Status s = apply(); !s.ok()) {
      err << "warden " << path << ": " << s.message() << "\n";
      return ExitCodeFor(s);
    }
  }
  absl::Status status;
  try {
    status = command->Run(positional, out);
  } catch (const std::exception& e) {
    // Last line of defence: components turn library exceptions (e.g. c10::Error)
    // into Status themselves; anything that still escapes is an internal error.
    status = absl::InternalError(absl::StrCat("unexpected exception: ", e.what()));
  }
  out.flush();
  if (!status.ok()) {
    err << "warden " << path << ": " << status.message() << "\n";
  }
  return ExitCodeFor(status);
}

int CommandRegistry::Main(int argc, char** argv, std::ostream& out, std::ostream& err) const {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || IsHelp(args[0])) {
    (args.empty() ? err : out) << TopUsage();
    return args.empty() ? 2 : 0;
  }
  const std::string& first = args[0];
  if (auto top = groups_.find(""); top != groups_.end()) {
    if (auto verb = top->second.verbs.find(first); verb != top->second.verbs.end()) {
      return RunVerb(first, verb->second, {args.begin() + 1, args.end()}, out, err);
    }
  }
  auto group = groups_.find(first);
  if (group == groups_.end() || first.empty()) {
    err << "warden: unknown command \"" << first << "\"\n\n" << TopUsage();
    return 2;
  }
  if (args.size() < 2 || IsHelp(args[1])) {
    (args.size() < 2 ? err : out) << GroupUsage(first);
    return args.size() < 2 ? 2 : 0;
  }
  auto verb = group->second.verbs.find(args[1]);
  if (verb == group->second.verbs.end()) {
    err << "warden " << first << ": unknown verb \"" << args[1] << "\"\n\n" << GroupUsage(first);
    return 2;
  }
  return RunVerb(first + " " + args[1], verb->second, {args.begin() + 2, args.end()}, out, err);
}

}  // namespace warden::cli
