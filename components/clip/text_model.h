// CLIP's text transformer in LibTorch, with Hugging Face CLIPTextModel's
// parameter names, so `text_encoder/` of a Stable Diffusion 1.x checkpoint
// (config.json + model.safetensors) loads as it is.
//
// Forward returns the last hidden state (after the final LayerNorm), every
// layer's residual stream, the EOS-pooled embedding and, if the model has one,
// its text projection. A hook may read and replace any layer's output: the
// concept erasure of ItD edits the residual stream there.
#ifndef WARDEN_COMPONENTS_CLIP_TEXT_MODEL_H_
#define WARDEN_COMPONENTS_CLIP_TEXT_MODEL_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/tokenizer.h"

namespace warden::clip {

struct ClipTextConfig {
  int64_t vocab_size = 49408;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t max_position_embeddings = 77;
  std::string hidden_act = "quick_gelu";  // or "gelu"
  double layer_norm_eps = 1e-5;
  int64_t projection_dim = 0;  // > 0: the model has text_projection

  // Parses HF's config.json (CLIPTextConfig fields; a full CLIPConfig's
  // "text_config" is accepted too). InvalidArgument naming the bad field.
  static absl::StatusOr<ClipTextConfig> FromJson(const nlohmann::json& json);
  nlohmann::json ToJson() const;
  absl::Status Validate() const;
};

struct ClipTextOutput {
  at::Tensor last_hidden_state;           // [B, L, width], after final LayerNorm
  std::vector<at::Tensor> hidden_states;  // num_layers + 1: embeddings, then each layer's output
  at::Tensor pooled;                      // [B, width]: last_hidden_state at each prompt's EOS
  at::Tensor projected;                   // [B, projection_dim] or undefined
};

// Called with (layer index, that layer's output [B, L, width]); returns the
// tensor the next layer reads (return the input to leave it unchanged).
using LayerHook = std::function<at::Tensor(int64_t layer, const at::Tensor& output)>;

class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipTextConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& attention_bias);

 private:
  int64_t heads_;
  bool quick_gelu_;
  torch::nn::LayerNorm layer_norm1_{nullptr}, layer_norm2_{nullptr};
  torch::nn::Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, out_proj_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

class ClipTextModelImpl : public torch::nn::Module {
 public:
  explicit ClipTextModelImpl(const ClipTextConfig& config);

  // input_ids: [B, L] int64 with L <= max positions; eos_position: [B] int64
  // (index of each prompt's EOS; pooled output reads there); attention_mask:
  // optional [B, L] of 1 (token) / 0 (padding), masked keys get no attention.
  // Causal, as CLIP. `hook` (if set) sees every layer's output.
  ClipTextOutput forward(const at::Tensor& input_ids, const at::Tensor& eos_position,
                         const at::Tensor& attention_mask = {}, const LayerHook& hook = {});
  // The same from token embeddings [B, L, width] (position embeddings are
  // added here): how a gradient reaches a one-hot token choice
  // (token_embeds = one_hot · token_embedding), as token-search attacks need.
  ClipTextOutput forward_embeds(const at::Tensor& token_embeds, const at::Tensor& eos_position,
                                const at::Tensor& attention_mask = {}, const LayerHook& hook = {});
  const at::Tensor& token_embedding() const { return token_embedding_->weight; }

  const ClipTextConfig& config() const { return config_; }

 private:
  ClipTextConfig config_;
  torch::nn::Embedding token_embedding_{nullptr}, position_embedding_{nullptr};
  std::vector<ClipEncoderLayer> layers_;
  torch::nn::LayerNorm final_layer_norm_{nullptr};
  torch::nn::Linear text_projection_{nullptr};
};
TORCH_MODULE(ClipTextModel);

// Index of each row's first EOS in token ids [B, L] (each row BOS … EOS, padded
// with EOS): where the pooled output is read.
at::Tensor EosPositions(const at::Tensor& ids);

// `prompts` through the encoder, tokenized as TokenizeBatch does with
// `padding` (and `context_length`); pooled outputs at each prompt's EOS.
ClipTextOutput ForwardPrompts(ClipTextModel& model, const ClipTokenizer& tokenizer,
                              const std::vector<std::string>& prompts, Padding padding,
                              const LayerHook& hook = {}, int context_length = kContextLength);

// Hugging Face names of every parameter (e.g.
// "text_model.encoder.layers.0.self_attn.q_proj.weight", "text_projection.weight").
std::vector<std::pair<std::string, at::Tensor>> HfStateDict(ClipTextModel& model);

// Loads `dir`/config.json and `dir`/model.safetensors (HF layout; F32, F16 or
// BF16 weights). Missing, unexpected or mis-shaped tensors give InvalidArgument
// naming the key; "text_model.embeddings.position_ids" is ignored.
absl::StatusOr<ClipTextModel> LoadHfClipText(const std::string& dir);

// Writes `dir`/config.json and `dir`/model.safetensors (F32, or F16 with
// `half`), atomically each.
absl::Status SaveHfClipText(ClipTextModel& model, const std::string& dir,
                            const std::map<std::string, std::string>& metadata = {}, bool half = false);

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_TEXT_MODEL_H_
