#include "components/tensor/runfiles.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "third_party/bazel_runfiles/runfiles.h"

namespace warden::tensor {
namespace {

using bazel::tools::cpp::runfiles::Runfiles;

bool Exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

// The running executable, standing in for argv[0] (callers need not pass it).
std::string SelfExecutable() {
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  return n > 0 ? std::string(exe, n) : "";
}

}  // namespace

std::string FindRunfile(const std::string& path) {
  std::string error;
  std::unique_ptr<Runfiles> runfiles(Runfiles::Create(SelfExecutable(), &error));
  if (runfiles != nullptr) {
    const std::string located = runfiles->Rlocation("warden/" + path);
    if (!located.empty() && Exists(located)) return located;
  }
  if (!Exists(path)) return "";
  if (path[0] == '/') return path;
  char cwd[PATH_MAX];
  return ::getcwd(cwd, sizeof(cwd)) != nullptr ? std::string(cwd) + "/" + path : path;
}

}  // namespace warden::tensor
