// Embind bindings for the toolchain check: JS arrays in, a number out; a size
// mismatch comes back as NaN rather than an abort.
#include <emscripten/bind.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "web/build_defs/testdata/dot.h"

namespace {

double DotJs(const emscripten::val& a, const emscripten::val& b) {
  const auto va = emscripten::vecFromJSArray<double>(a);
  const auto vb = emscripten::vecFromJSArray<double>(b);
  if (va.size() != vb.size()) return std::nan("");
  return warden::web_testdata::Dot(va, vb);
}

}  // namespace

EMSCRIPTEN_BINDINGS(warden_dot) { emscripten::function("dot", &DotJs); }
