#include "tools/cli/output.h"

namespace warden::cli {

std::string OutputStem(const std::string& out, const std::vector<std::string>& extensions) {
  for (const std::string& ext : extensions) {
    if (out.size() > ext.size() && out.compare(out.size() - ext.size(), ext.size(), ext) == 0 &&
        out[out.size() - ext.size() - 1] != '/') {
      return out.substr(0, out.size() - ext.size());
    }
  }
  return out;
}

}  // namespace warden::cli
