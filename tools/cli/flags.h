// Per-command flags for the `warden` CLI.
//
// Each verb declares its flags on a FlagSet, bound to fields of its config
// struct; the value a field holds when it is bound is the flag's default and is
// shown by --help. Accepted forms: --name=value, --name value, and for booleans
// --name, --noname, --name=true|false. "--" ends flag parsing.
#ifndef WARDEN_TOOLS_CLI_FLAGS_H_
#define WARDEN_TOOLS_CLI_FLAGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warden::cli {

class FlagSet {
 public:
  void String(std::string name, std::string* target, std::string help);
  void Int(std::string name, int64_t* target, std::string help);
  void Double(std::string name, double* target, std::string help);
  void Bool(std::string name, bool* target, std::string help);

  // Parses `args`, storing flag values into their targets and every other
  // argument, in order, into `positional`. Returns InvalidArgument naming the
  // flag for an unknown flag, a missing value or a value of the wrong type.
  absl::Status Parse(const std::vector<std::string>& args, std::vector<std::string>* positional);

  // One line per flag: name, type, default and help, sorted by name.
  std::string Usage() const;

  bool empty() const { return flags_.empty(); }

 private:
  using Target = std::variant<std::string*, int64_t*, double*, bool*>;
  struct Flag {
    std::string name;
    Target target;
    std::string help;
    std::string default_text;
  };

  void Add(std::string name, Target target, std::string help);
  const Flag* Find(std::string_view name) const;
  static absl::Status Assign(const Flag& flag, std::string_view value);

  std::vector<Flag> flags_;
};

// Comma lists in flag values ("2,4,8"; blanks around items are skipped; an
// empty list is an error naming --flag).
// Whole numbers.
absl::StatusOr<std::vector<int64_t>> ParseIntList(const std::string& flag, const std::string& text);
// Finite numbers, each optionally a fraction a/b with b > 0 ("4/255,0.5").
absl::StatusOr<std::vector<double>> ParseNumberList(const std::string& flag, const std::string& text);

}  // namespace warden::cli

#endif  // WARDEN_TOOLS_CLI_FLAGS_H_
