// Embind bindings of ItD's portable pieces for the browser: CLIP's tokenizer
// (components/clip/tokenizer.h) and the concept gate on one prompt
// (components/itd/gate_core.h, on the SAE core). Same code as the native build.
#include <emscripten/bind.h>

#include <memory>
#include <string>
#include <vector>

#include "components/clip/tokenizer.h"
#include "components/itd/gate_core.h"
#include "components/sae/sae_core.h"

namespace {

using emscripten::val;
using warden::clip::ClipTokenizer;

class Tokenizer {
 public:
  // `merges` is bpe_simple_vocab_16e6.txt, already gunzipped.
  explicit Tokenizer(const std::string& merges) : tokenizer_(ClipTokenizer::FromMerges(merges, &error_)) {}

  std::string error() const { return error_; }

  // Token ids without BOS/EOS.
  val encode(const std::string& text) const {
    if (!tokenizer_) return val::null();
    const std::vector<int> ids = tokenizer_->Encode(text);
    return val::array(ids.begin(), ids.end());
  }

  // What the gate's encoder reads: BOS + tokens + EOS padded with EOS to the
  // context length (Stable Diffusion 1.x; components/clip/tokenizer.h kToContext).
  val encodeForGate(const std::string& text) const {
    if (!tokenizer_) return val::null();
    const warden::clip::TokenBatch batch =
        warden::clip::TokenizeBatch(*tokenizer_, {text}, warden::clip::Padding::kToContext);
    val out = val::object();
    out.set("ids", val::array(batch.ids[0].begin(), batch.ids[0].end()));
    out.set("eosPosition", batch.eos_position[0]);
    return out;
  }

  std::string tokenText(int id) const { return tokenizer_ ? tokenizer_->TokenText(id) : std::string(); }

 private:
  std::string error_;
  std::unique_ptr<ClipTokenizer> tokenizer_;
};

class Gate {
 public:
  // `sae` holds w_enc, w_dec, b_pre, b_lat as float32, in that order.
  Gate(int d_model, int n_latents, const val& sae, int k, const val& features, double scale, double tau,
       const std::string& mode) {
    const std::vector<float> all = emscripten::convertJSArrayToNumberVector<float>(sae);
    const size_t nd = static_cast<size_t>(n_latents) * d_model;
    if (d_model <= 0 || n_latents <= 0 || all.size() != 2 * nd + d_model + n_latents) {
      error_ = "the SAE weights have " + std::to_string(all.size()) +
               " floats, not 2·n·d + d + n for d = " + std::to_string(d_model) +
               ", n = " + std::to_string(n_latents);
      return;
    }
    weights_.d_model = d_model;
    weights_.n_latents = n_latents;
    weights_.w_enc.assign(all.begin(), all.begin() + nd);
    weights_.w_dec.assign(all.begin() + nd, all.begin() + 2 * nd);
    weights_.b_pre.assign(all.begin() + 2 * nd, all.begin() + 2 * nd + d_model);
    weights_.b_lat.assign(all.begin() + 2 * nd + d_model, all.end());
    config_.k = k;
    config_.features = emscripten::convertJSArrayToNumberVector<int32_t>(features);
    config_.scale = static_cast<float>(scale);
    config_.tau = static_cast<float>(tau);
    if (!warden::itd::ScoreModeFromName(mode, &config_.mode)) {
      error_ = "unknown score mode '" + mode + "' (paper or concept)";
      return;
    }
    error_ = warden::itd::ValidateGate(weights_, 1, config_);
  }

  std::string error() const { return error_; }

  // The gate on one prompt's layer output (tokens × d_model floats).
  val score(const val& hidden, int tokens) const {
    val out = val::object();
    const std::vector<float> h = emscripten::convertJSArrayToNumberVector<float>(hidden);
    if (error_.empty() && (tokens < 1 || h.size() != static_cast<size_t>(tokens) * weights_.d_model)) {
      out.set("error", "the layer output has " + std::to_string(h.size()) + " floats, not tokens × d_model");
      return out;
    }
    if (!error_.empty()) {
      out.set("error", error_);
      return out;
    }
    const warden::itd::GateResult r = warden::itd::ScorePrompt(weights_, h.data(), tokens, config_);
    out.set("score", r.score);
    out.set("flagged", r.flagged);
    val fired = val::array();
    for (const warden::itd::FiredFeature& f : r.fired) {
      val item = val::object();
      item.set("feature", f.feature);
      item.set("value", f.max_value);
      fired.call<void>("push", item);
    }
    out.set("fired", fired);
    return out;
  }

 private:
  warden::sae::SaeWeights weights_;
  warden::itd::GateConfig config_;
  std::string error_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(warden_itd) {
  emscripten::class_<Tokenizer>("Tokenizer")
      .constructor<const std::string&>()
      .function("error", &Tokenizer::error)
      .function("encode", &Tokenizer::encode)
      .function("encodeForGate", &Tokenizer::encodeForGate)
      .function("tokenText", &Tokenizer::tokenText);
  emscripten::class_<Gate>("Gate")
      .constructor<int, int, const val&, int, const val&, double, double, const std::string&>()
      .function("error", &Gate::error)
      .function("score", &Gate::score);
}
