#include "tools/cli/progress.h"

#include <cstdio>

namespace warden::cli {

void ShowProgress(const std::string& line, bool done) {
  std::fprintf(stderr, "\r%-78s%s", line.c_str(), done ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace warden::cli
