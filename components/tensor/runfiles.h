// Finding files that Bazel ships beside a binary (its runfiles), so a binary
// run as bazel-bin/..., through `bazel run`, or from a test finds its
// committed artifacts (default model weights) without an absolute path.
#ifndef WARDEN_COMPONENTS_TENSOR_RUNFILES_H_
#define WARDEN_COMPONENTS_TENSOR_RUNFILES_H_

#include <string>

namespace warden::tensor {

// The absolute path of workspace-relative `path` among the runfiles of this
// process (Bazel's runfiles library: $RUNFILES_DIR, $RUNFILES_MANIFEST_FILE,
// or <executable>.runfiles), else relative to the working directory (a source
// checkout); "" if it exists in neither.
std::string FindRunfile(const std::string& path);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_RUNFILES_H_
