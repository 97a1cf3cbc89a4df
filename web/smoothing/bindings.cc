// Embind bindings of the smoothing certifier's portable core for the browser:
// counts in (JS arrays), decisions out (plain objects). Same code as native.
#include <emscripten/bind.h>

#include <cstdint>
#include <vector>

#include "components/smoothing/certify_core.h"
#include "components/smoothing/stats_core.h"

namespace {

using emscripten::val;
using warden::smoothing::CertifyResult;
using warden::smoothing::PredictResult;

std::vector<int64_t> Counts(const val& array) {
  std::vector<int64_t> out;
  for (double v : emscripten::vecFromJSArray<double>(array)) out.push_back(static_cast<int64_t>(v));
  return out;
}

val CertifyJs(const val& selection, const val& estimation, double sigma, double alpha) {
  const CertifyResult r = warden::smoothing::Certify(Counts(selection), Counts(estimation), sigma, alpha);
  val out = val::object();
  out.set("predictedClass", r.predicted_class);
  out.set("radius", r.radius_l2);
  out.set("pALower", r.p_a_lower);
  return out;
}

val PredictJs(const val& counts, double alpha) {
  const PredictResult r = warden::smoothing::Predict(Counts(counts), alpha);
  val out = val::object();
  out.set("predictedClass", r.predicted_class);
  out.set("pValue", r.p_value);
  return out;
}

double ClopperPearsonLowerJs(double k, double n, double alpha) {
  return warden::smoothing::ClopperPearsonLower(static_cast<int64_t>(k), static_cast<int64_t>(n), alpha);
}

}  // namespace

EMSCRIPTEN_BINDINGS(warden_smoothing) {
  emscripten::function("certify", &CertifyJs);
  emscripten::function("predict", &PredictJs);
  emscripten::function("clopperPearsonLower", &ClopperPearsonLowerJs);
  emscripten::function("normalQuantile", &warden::smoothing::NormalQuantile);
  emscripten::function("normalCdf", &warden::smoothing::NormalCdf);
}
