// The output convention of every verb that writes files: --out names the
// main file; files of other kinds go beside it with their own extension.
// An --out that ends in one of the verb's extensions names that file, one
// without is a prefix: `smooth certify --out=c.tsv` and `--out=c` both write
// c.tsv and c.svg.
#ifndef WARDEN_TOOLS_CLI_OUTPUT_H_
#define WARDEN_TOOLS_CLI_OUTPUT_H_

#include <string>
#include <vector>

namespace warden::cli {

// `out` without the first of `extensions` (".tsv", ".svg", ...) it ends in.
std::string OutputStem(const std::string& out, const std::vector<std::string>& extensions);

}  // namespace warden::cli

#endif  // WARDEN_TOOLS_CLI_OUTPUT_H_
