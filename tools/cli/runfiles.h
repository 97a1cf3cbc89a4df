// Finding files that Bazel ships beside a binary (its runfiles), so a CLI run
// as bazel-bin/tools/warden, through `bazel run` or from a test finds its
// committed artifacts (default model weights) without an absolute path.
#ifndef WARDEN_TOOLS_CLI_RUNFILES_H_
#define WARDEN_TOOLS_CLI_RUNFILES_H_

#include <string>

namespace warden::cli {

// The absolute path of workspace-relative `path` among the runfiles of this
// process ($RUNFILES_DIR, $TEST_SRCDIR, <executable>.runfiles), or relative to
// the working directory (a source checkout); "" if none exists.
std::string FindRunfile(const std::string& path);

}  // namespace warden::cli

#endif  // WARDEN_TOOLS_CLI_RUNFILES_H_
