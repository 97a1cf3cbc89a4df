#include "web/build_defs/testdata/dot.h"

#include <stdexcept>

namespace warden::web_testdata {

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("size mismatch");
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace warden::web_testdata
