// A portable function used to check the emcc toolchain: C++17 std only.
#ifndef WARDEN_WEB_BUILD_DEFS_TESTDATA_DOT_H_
#define WARDEN_WEB_BUILD_DEFS_TESTDATA_DOT_H_

#include <vector>

namespace warden::web_testdata {

// Returns the dot product of a and b; throws std::invalid_argument on a size mismatch.
double Dot(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace warden::web_testdata

#endif  // WARDEN_WEB_BUILD_DEFS_TESTDATA_DOT_H_
