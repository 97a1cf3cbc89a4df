// One-line progress for long-running verbs: rewritten in place on stderr, so
// stdout stays machine-readable.
#ifndef WARDEN_TOOLS_CLI_PROGRESS_H_
#define WARDEN_TOOLS_CLI_PROGRESS_H_

#include <string>

namespace warden::cli {

// Replaces the current progress line with `line`; `done` ends it with a newline.
void ShowProgress(const std::string& line, bool done = false);

}  // namespace warden::cli

#endif  // WARDEN_TOOLS_CLI_PROGRESS_H_
