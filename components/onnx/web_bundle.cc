#include "components/onnx/web_bundle.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "components/clip/default_encoder.h"
#include "components/clip/tokenizer.h"
#include "components/clip/vocab.h"
#include "components/itd/default_models.h"
#include "components/itd/gate_core.h"
#include "components/itd/itd.h"
#include "components/onnx/clip_export.h"
#include "components/onnx/graph_builder.h"
#include "components/onnx/mnist_export.h"
#include "components/sae/sae_core.h"
#include "components/smoothing/model_file.h"
#include "components/status/status_macros.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/datasets.h"
#include "nlohmann/json.hpp"

namespace warden::onnx_export {
namespace {

std::vector<float> Floats(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

absl::Status WriteWebBundle(const std::string& dir, const WebBundleOptions& options,
                            const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InvalidArgumentError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  torch::NoGradGuard no_grad;

  WARDEN_ASSIGN_OR_RETURN(clip::ClipTextModel encoder, clip::LoadTextEncoder(options.clip_weights));
  encoder->eval();
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<clip::ClipTokenizer> tokenizer, clip::LoadClipTokenizer());
  WARDEN_ASSIGN_OR_RETURN(sae::TopKSae sae, itd::LoadSaeOrDefault(options.sae));
  WARDEN_ASSIGN_OR_RETURN(itd::ConceptRegistry registry, itd::LoadRegistryOrDefault(options.registry));
  if (sae->config().d_model != encoder->config().hidden_size) {
    return absl::InvalidArgumentError(absl::StrCat("the SAE's d_model ", sae->config().d_model,
                                                   " != the encoder's width ",
                                                   encoder->config().hidden_size));
  }
  smoothing::MnistCnn classifier;
  nlohmann::json classifier_metadata;
  WARDEN_RETURN_IF_ERROR(
      smoothing::LoadMnistCnnOrDefault(options.classifier, classifier, &classifier_metadata));
  classifier->eval();

  // The models.
  WARDEN_ASSIGN_OR_RETURN(onnx::ModelProto gate_encoder, ExportClipText(encoder, registry.layer));
  WARDEN_RETURN_IF_ERROR(SaveModel(gate_encoder, dir + "/clip_text_gate.onnx"));
  say(absl::StrCat("clip_text_gate.onnx: the text encoder up to layer ", registry.layer));
  if (options.with_full_encoder) {
    WARDEN_ASSIGN_OR_RETURN(onnx::ModelProto full, ExportClipText(encoder, -1));
    WARDEN_RETURN_IF_ERROR(SaveModel(full, dir + "/clip_text.onnx"));
    say("clip_text.onnx: the whole text encoder");
  }
  WARDEN_ASSIGN_OR_RETURN(onnx::ModelProto cnn, ExportMnistCnn(classifier));
  WARDEN_RETURN_IF_ERROR(SaveModel(cnn, dir + "/mnist_cnn.onnx"));
  say("mnist_cnn.onnx: the MNIST classifier");

  const sae::SaeWeights weights = sae::ToPortable(sae);
  WARDEN_RETURN_IF_ERROR(tensor::WriteFileAtomically(
      dir + "/sae.bin", {{weights.w_enc.data(), weights.w_enc.size() * sizeof(float)},
                         {weights.w_dec.data(), weights.w_dec.size() * sizeof(float)},
                         {weights.b_pre.data(), weights.b_pre.size() * sizeof(float)},
                         {weights.b_lat.data(), weights.b_lat.size() * sizeof(float)}}));
  say(absl::StrCat("sae.bin: ", weights.n_latents, " latents x ", weights.d_model,
                   ", k = ", sae->config().k));

  // The gate, the classifier and the test digits.
  WARDEN_ASSIGN_OR_RETURN(tensor::ImageDataset digits,
                          tensor::LoadImageDataset("mnist", tensor::Split::kTest, options.test_digits));
  nlohmann::json digit_list = nlohmann::json::array();
  const at::Tensor bytes = (digits.images * 255).round().to(at::kByte).reshape({digits.images.size(0), -1});
  for (int64_t i = 0; i < bytes.size(0); ++i) {
    const at::Tensor row = bytes[i].contiguous();
    digit_list.push_back(
        {{"label", digits.labels[i].item<int64_t>()},
         {"pixels", std::vector<int>(row.data_ptr<uint8_t>(), row.data_ptr<uint8_t>() + row.numel())}});
  }
  const double sigma = classifier_metadata.value("sigma", 0.25);
  nlohmann::json gate = {
      {"layer", registry.layer},
      {"k", sae->config().k},
      {"d_model", weights.d_model},
      {"n_latents", weights.n_latents},
      {"scale", registry.scale},
      {"tau", registry.tau},
      {"score", itd::ScoreModeName(registry.score)},
      {"context_length", clip::kContextLength},
      {"concepts", registry.concepts},
      {"classifier", {{"sigma", sigma}, {"metadata", classifier_metadata}}},
      {"digits", digit_list},
  };
  WARDEN_RETURN_IF_ERROR(tensor::WriteTextAtomically(dir + "/gate.json", gate.dump()));
  say(absl::StrCat("gate.json: ", registry.concepts.size(), " concepts, tau = ", registry.tau, ", ",
                   digit_list.size(), " test digits, sigma = ", sigma));

  // LibTorch references: the encoder's layer output, the gate's verdicts, logits.
  const std::vector<int64_t> features = registry.UnionFeatures();
  itd::GateConfig config;
  config.k = static_cast<int>(sae->config().k);
  config.features.assign(features.begin(), features.end());
  config.scale = static_cast<float>(registry.scale);
  config.tau = static_cast<float>(registry.tau);
  config.mode = registry.score;
  nlohmann::json prompts = nlohmann::json::array();
  for (const std::string& prompt : options.parity_prompts) {
    const clip::TokenBatch batch = clip::TokenizeBatch(*tokenizer, {prompt}, clip::Padding::kToContext);
    const at::Tensor ids =
        at::tensor(std::vector<int64_t>(batch.ids[0].begin(), batch.ids[0].end())).view({1, -1});
    at::Tensor hidden;
    clip::ClipTextOutput out = encoder->forward(ids, at::tensor({int64_t{batch.eos_position[0]}}), {},
                                                [&](int64_t i, const at::Tensor& x) {
                                                  if (i == registry.layer) hidden = x;
                                                  return x;
                                                });
    const itd::Deactivation torch_gate =
        itd::Deactivate(sae, hidden, features, registry.scale, registry.tau, registry.score);
    const at::Tensor h = hidden[0].contiguous();
    const itd::GateResult portable =
        itd::ScorePrompt(weights, h.data_ptr<float>(), static_cast<int>(h.size(0)), config);
    nlohmann::json fired = nlohmann::json::array();
    for (const itd::FiredFeature& f : portable.fired) fired.push_back(f.feature);
    nlohmann::json entry = {{"prompt", prompt},
                            {"ids", batch.ids[0]},
                            {"hidden", Floats(hidden)},
                            {"score", torch_gate.scores[0].item<float>()},
                            {"flagged", torch_gate.flagged[0].item<bool>()},
                            {"fired", fired}};
    if (options.with_full_encoder) entry["last_hidden_state"] = Floats(out.last_hidden_state);
    prompts.push_back(std::move(entry));
  }
  const int64_t n_logits = std::min<int64_t>(8, digits.images.size(0));
  nlohmann::json parity = {
      {"prompts", prompts},
      {"digits", n_logits},
      {"logits", Floats(classifier->forward(digits.images.slice(0, 0, n_logits)))},
  };
  WARDEN_RETURN_IF_ERROR(tensor::WriteTextAtomically(dir + "/parity.json", parity.dump()));
  say(absl::StrCat("parity.json: ", prompts.size(), " prompts, ", n_logits, " digits"));
  return absl::OkStatus();
}

}  // namespace warden::onnx_export
