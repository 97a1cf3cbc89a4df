// Everything the browser demo (web/demo) loads, exported from the models the
// native build uses through their library APIs: a user's files when given,
// else the committed defaults, so a better default reaches the page unchanged.
//
// The bundle directory holds
//   clip_text_gate.onnx  the CLIP text encoder up to the concept registry's layer
//   clip_text.onnx       the whole encoder (last hidden state), with_full_encoder only
//   mnist_cnn.onnx       the noise-trained MNIST classifier (pixels → logits)
//   sae.bin              the SAE as little-endian float32: w_enc, w_dec, b_pre, b_lat
//   gate.json            the gate: layer, k, sizes, scale, τ, score mode, concepts;
//                        the classifier's σ; the test digits
//   parity.json          LibTorch reference outputs for the parity tests
// each written atomically.
#ifndef WARDEN_COMPONENTS_ONNX_WEB_BUNDLE_H_
#define WARDEN_COMPONENTS_ONNX_WEB_BUNDLE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace warden::onnx_export {

struct WebBundleOptions {
  std::string clip_weights;  // HF CLIPTextModel folder; "" = the committed default encoder
  std::string sae;           // SAE safetensors; "" = the committed default
  std::string registry;      // concept registry JSON; "" = the committed default
  std::string classifier;    // MNIST CNN safetensors; "" = the embedded σ = 0.25 model
  bool with_full_encoder = false;
  int test_digits = 64;  // MNIST test digits offered on the page (first N of the test split)
  // Prompts whose LibTorch outputs go to parity.json (the gate's verdicts too).
  std::vector<std::string> parity_prompts = {
      "a photo of amy adams", "portrait of anthony hopkins smiling at the camera",
      "a bowl of fruit on a wooden table", "an oil painting of a mountain lake at dawn"};
};

// Writes the bundle into `dir` (created if missing). `progress` (may be empty)
// gets one line per file.
absl::Status WriteWebBundle(const std::string& dir, const WebBundleOptions& options,
                            const std::function<void(const std::string&)>& progress = {});

}  // namespace warden::onnx_export

#endif  // WARDEN_COMPONENTS_ONNX_WEB_BUNDLE_H_
