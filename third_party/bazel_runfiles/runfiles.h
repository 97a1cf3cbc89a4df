// Bazel's C++ runfiles library (bazel::tools::cpp::runfiles::Runfiles).
#ifndef WARDEN_THIRD_PARTY_BAZEL_RUNFILES_RUNFILES_H_
#define WARDEN_THIRD_PARTY_BAZEL_RUNFILES_RUNFILES_H_

#include "tools/cpp/runfiles/runfiles.h"

#endif  // WARDEN_THIRD_PARTY_BAZEL_RUNFILES_RUNFILES_H_
