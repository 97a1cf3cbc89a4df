#include "tools/cli/runfiles.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace warden::cli {
namespace {

bool Exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

}  // namespace

std::string FindRunfile(const std::string& path) {
  std::vector<std::string> roots;
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* value = std::getenv(var); value != nullptr && *value != '\0') {
      roots.push_back(std::string(value) + "/warden/");
    }
  }
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) roots.push_back(std::string(exe, n) + ".runfiles/warden/");
  roots.push_back("");  // the working directory (a source checkout)
  for (const std::string& root : roots) {
    const std::string candidate = root + path;
    if (Exists(candidate)) {
      if (!candidate.empty() && candidate[0] == '/') return candidate;
      char cwd[PATH_MAX];
      return ::getcwd(cwd, sizeof(cwd)) != nullptr ? std::string(cwd) + "/" + candidate : candidate;
    }
  }
  return "";
}

}  // namespace warden::cli
