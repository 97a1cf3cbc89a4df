#include "tools/cli/flags.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace warden::cli {
namespace {

std::string DefaultText(std::string* v) { return absl::StrCat("\"", *v, "\""); }
std::string DefaultText(int64_t* v) { return absl::StrCat(*v); }
std::string DefaultText(double* v) { return absl::StrCat(*v); }
std::string DefaultText(bool* v) { return *v ? "true" : "false"; }

const char* TypeName(const std::variant<std::string*, int64_t*, double*, bool*>& t) {
  static constexpr const char* kNames[] = {"string", "int", "double", "bool"};
  return kNames[t.index()];
}

}  // namespace

void FlagSet::Add(std::string name, Target target, std::string help) {
  std::string default_text = std::visit([](auto* p) { return DefaultText(p); }, target);
  flags_.push_back({std::move(name), target, std::move(help), std::move(default_text)});
}

void FlagSet::String(std::string name, std::string* target, std::string help) {
  Add(std::move(name), target, std::move(help));
}
void FlagSet::Int(std::string name, int64_t* target, std::string help) {
  Add(std::move(name), target, std::move(help));
}
void FlagSet::Double(std::string name, double* target, std::string help) {
  Add(std::move(name), target, std::move(help));
}
void FlagSet::Bool(std::string name, bool* target, std::string help) {
  Add(std::move(name), target, std::move(help));
}

const FlagSet::Flag* FlagSet::Find(std::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

absl::Status FlagSet::Assign(const Flag& flag, std::string_view value_std) {
  // Debian's Abseil is built with its own absl::string_view (not std's).
  const absl::string_view value(value_std.data(), value_std.size());
  auto bad = [&](std::string_view expected) {
    return absl::InvalidArgumentError(absl::StrFormat("--%s: expected %s, got \"%s\"", flag.name,
                                                      std::string(expected), std::string(value)));
  };
  if (auto* s = std::get_if<std::string*>(&flag.target)) {
    **s = std::string(value_std);
  } else if (auto* i = std::get_if<int64_t*>(&flag.target)) {
    int64_t parsed;  // parse first: a bad value must leave the target unchanged
    if (!absl::SimpleAtoi(value, &parsed)) return bad("an integer");
    **i = parsed;
  } else if (auto* d = std::get_if<double*>(&flag.target)) {
    double parsed;
    if (!absl::SimpleAtod(value, &parsed)) return bad("a number");
    **d = parsed;
  } else if (auto* b = std::get_if<bool*>(&flag.target)) {
    bool parsed;
    if (!absl::SimpleAtob(value, &parsed)) return bad("true or false");
    **b = parsed;
  }
  return absl::OkStatus();
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args, std::vector<std::string>* positional) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional->insert(positional->end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 3 || arg[0] != '-' || arg[1] != '-') {
      positional->push_back(arg);
      continue;
    }
    std::string_view body = std::string_view(arg).substr(2);
    const size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    const Flag* flag = Find(name);
    if (flag == nullptr && eq == std::string_view::npos && name.substr(0, 2) == "no") {
      const Flag* negated = Find(name.substr(2));
      if (negated != nullptr && std::holds_alternative<bool*>(negated->target)) {
        *std::get<bool*>(negated->target) = false;
        continue;
      }
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrFormat("unknown flag --%s", std::string(name)));
    }
    if (eq != std::string_view::npos) {
      if (absl::Status s = Assign(*flag, body.substr(eq + 1)); !s.ok()) return s;
    } else if (std::holds_alternative<bool*>(flag->target)) {
      *std::get<bool*>(flag->target) = true;
    } else if (i + 1 < args.size()) {
      if (absl::Status s = Assign(*flag, args[++i]); !s.ok()) return s;
    } else {
      return absl::InvalidArgumentError(absl::StrFormat("--%s needs a value", std::string(name)));
    }
  }
  return absl::OkStatus();
}

std::string FlagSet::Usage() const {
  std::vector<const Flag*> sorted;
  for (const Flag& flag : flags_) sorted.push_back(&flag);
  std::sort(sorted.begin(), sorted.end(), [](const Flag* a, const Flag* b) { return a->name < b->name; });
  std::string out;
  for (const Flag* flag : sorted) {
    absl::StrAppendFormat(&out, "  --%-18s %s (%s, default %s)\n", flag->name, flag->help,
                          TypeName(flag->target), flag->default_text);
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> ParseIntList(const std::string& flag, const std::string& text) {
  std::vector<int64_t> out;
  for (absl::string_view piece : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int64_t value = 0;
    if (!absl::SimpleAtoi(piece, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": '", absl::StripAsciiWhitespace(piece), "' is not a whole number"));
    }
    out.push_back(value);
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is empty"));
  return out;
}

absl::StatusOr<std::vector<double>> ParseNumberList(const std::string& flag, const std::string& text) {
  std::vector<double> out;
  for (absl::string_view piece : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    const std::vector<absl::string_view> parts = absl::StrSplit(piece, '/');
    double num = 0, den = 1;
    if (parts.size() > 2 || !absl::SimpleAtod(parts[0], &num) ||
        (parts.size() == 2 && (!absl::SimpleAtod(parts[1], &den) || !(den > 0) || !std::isfinite(den))) ||
        !std::isfinite(num)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": '", absl::StripAsciiWhitespace(piece), "' is not a number (or a/b)"));
    }
    out.push_back(num / den);
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is empty"));
  return out;
}

}  // namespace warden::cli
