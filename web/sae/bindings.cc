// Embind bindings of the SAE inference core for the browser demo: load weights
// from Float32Arrays, encode an activation to its top-k code, decode it back.
#include <emscripten/bind.h>

#include <string>
#include <vector>

#include "components/sae/sae_core.h"

namespace {

using emscripten::val;
using warden::sae::SaeWeights;
using warden::sae::SparseCode;

class SaeModel {
 public:
  // Throws a JS error naming the problem when sizes disagree.
  SaeModel(int d_model, int n_latents, const val& w_enc, const val& w_dec, const val& b_pre,
           const val& b_lat) {
    weights_.d_model = d_model;
    weights_.n_latents = n_latents;
    weights_.w_enc = emscripten::convertJSArrayToNumberVector<float>(w_enc);
    weights_.w_dec = emscripten::convertJSArrayToNumberVector<float>(w_dec);
    weights_.b_pre = emscripten::convertJSArrayToNumberVector<float>(b_pre);
    weights_.b_lat = emscripten::convertJSArrayToNumberVector<float>(b_lat);
    error_ = weights_.Validate();
  }

  std::string error() const { return error_; }

  val encode(const val& h, int k) const {
    const std::vector<float> x = emscripten::convertJSArrayToNumberVector<float>(h);
    val out = val::object();
    if (!error_.empty() || static_cast<int>(x.size()) != weights_.d_model) {
      out.set("error", error_.empty() ? std::string("activation has the wrong length") : error_);
      return out;
    }
    const SparseCode code = warden::sae::EncodeTopK(weights_, x.data(), k);
    out.set("indices", val::array(code.indices.begin(), code.indices.end()));
    out.set("values", val::array(code.values.begin(), code.values.end()));
    return out;
  }

  val decode(const val& indices, const val& values) const {
    SparseCode code;
    code.indices = emscripten::convertJSArrayToNumberVector<int32_t>(indices);
    code.values = emscripten::convertJSArrayToNumberVector<float>(values);
    if (!error_.empty()) return val::null();
    const std::vector<float> h = warden::sae::Decode(weights_, code);
    return val::array(h.begin(), h.end());
  }

 private:
  SaeWeights weights_;
  std::string error_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(warden_sae) {
  emscripten::class_<SaeModel>("SaeModel")
      .constructor<int, int, const val&, const val&, const val&, const val&>()
      .function("error", &SaeModel::error)
      .function("encode", &SaeModel::encode)
      .function("decode", &SaeModel::decode);
}
