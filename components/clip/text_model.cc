#include "components/clip/text_model.h"

#include <sys/stat.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/safetensors.h"
#include "components/tensor/safetensors_torch.h"

namespace warden::clip {
namespace {

absl::Status Invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

template <typename T>
absl::Status ReadField(const nlohmann::json& json, const char* name, T* out) {
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) return absl::OkStatus();  // keep the default
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return Invalid(absl::StrCat("config \"", name, "\" must be a string"));
    *out = it->template get<std::string>();
  } else if constexpr (std::is_same_v<T, double>) {
    if (!it->is_number()) return Invalid(absl::StrCat("config \"", name, "\" must be a number"));
    *out = it->template get<double>();
  } else {
    if (!it->is_number_integer()) return Invalid(absl::StrCat("config \"", name, "\" must be an integer"));
    *out = it->template get<T>();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClipTextConfig> ClipTextConfig::FromJson(const nlohmann::json& root) {
  if (!root.is_object()) return Invalid("config.json is not a JSON object");
  const nlohmann::json& json = root.contains("text_config") ? root["text_config"] : root;
  if (!json.is_object()) return Invalid("config.json \"text_config\" is not an object");
  ClipTextConfig c;
  for (absl::Status s :
       {ReadField(json, "vocab_size", &c.vocab_size), ReadField(json, "hidden_size", &c.hidden_size),
        ReadField(json, "intermediate_size", &c.intermediate_size),
        ReadField(json, "num_hidden_layers", &c.num_hidden_layers),
        ReadField(json, "num_attention_heads", &c.num_attention_heads),
        ReadField(json, "max_position_embeddings", &c.max_position_embeddings),
        ReadField(json, "hidden_act", &c.hidden_act), ReadField(json, "layer_norm_eps", &c.layer_norm_eps),
        ReadField(root, "projection_dim", &c.projection_dim)}) {
    if (!s.ok()) return s;
  }
  if (absl::Status s = c.Validate(); !s.ok()) return s;
  return c;
}

nlohmann::json ClipTextConfig::ToJson() const {
  nlohmann::json json = {{"model_type", "clip_text_model"},
                         {"vocab_size", vocab_size},
                         {"hidden_size", hidden_size},
                         {"intermediate_size", intermediate_size},
                         {"num_hidden_layers", num_hidden_layers},
                         {"num_attention_heads", num_attention_heads},
                         {"max_position_embeddings", max_position_embeddings},
                         {"hidden_act", hidden_act},
                         {"layer_norm_eps", layer_norm_eps},
                         {"bos_token_id", 49406},
                         {"eos_token_id", 49407},
                         {"pad_token_id", 1}};
  json["architectures"] = {projection_dim > 0 ? "CLIPTextModelWithProjection" : "CLIPTextModel"};
  if (projection_dim > 0) json["projection_dim"] = projection_dim;
  return json;
}

absl::Status ClipTextConfig::Validate() const {
  if (vocab_size < 1 || hidden_size < 1 || intermediate_size < 1 || num_hidden_layers < 0 ||
      num_attention_heads < 1 || max_position_embeddings < 1 || projection_dim < 0) {
    return Invalid("config sizes must be positive");
  }
  if (hidden_size % num_attention_heads != 0) {
    return Invalid(absl::StrCat("hidden_size ", hidden_size, " is not divisible by num_attention_heads ",
                                num_attention_heads));
  }
  if (hidden_act != "quick_gelu" && hidden_act != "gelu") {
    return Invalid(absl::StrCat("hidden_act \"", hidden_act, "\" is not quick_gelu or gelu"));
  }
  if (!(layer_norm_eps > 0)) return Invalid("layer_norm_eps must be > 0");
  return absl::OkStatus();
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextConfig& c)
    : heads_(c.num_attention_heads), quick_gelu_(c.hidden_act == "quick_gelu") {
  const auto ln = torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps);
  layer_norm1_ = register_module("layer_norm1", torch::nn::LayerNorm(ln));
  layer_norm2_ = register_module("layer_norm2", torch::nn::LayerNorm(ln));
  q_proj_ = register_module("q_proj", torch::nn::Linear(c.hidden_size, c.hidden_size));
  k_proj_ = register_module("k_proj", torch::nn::Linear(c.hidden_size, c.hidden_size));
  v_proj_ = register_module("v_proj", torch::nn::Linear(c.hidden_size, c.hidden_size));
  out_proj_ = register_module("out_proj", torch::nn::Linear(c.hidden_size, c.hidden_size));
  fc1_ = register_module("fc1", torch::nn::Linear(c.hidden_size, c.intermediate_size));
  fc2_ = register_module("fc2", torch::nn::Linear(c.intermediate_size, c.hidden_size));
}

at::Tensor ClipEncoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& attention_bias) {
  const int64_t b = x.size(0), l = x.size(1), width = x.size(2), d = width / heads_;
  at::Tensor h = layer_norm1_->forward(x);
  auto split = [&](const at::Tensor& t) { return t.view({b, l, heads_, d}).transpose(1, 2); };
  const at::Tensor q = split(q_proj_->forward(h) * (1.0 / std::sqrt(static_cast<double>(d))));
  const at::Tensor k = split(k_proj_->forward(h));
  const at::Tensor v = split(v_proj_->forward(h));
  const at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) + attention_bias;  // [B, H, L, L]
  const at::Tensor attended = at::matmul(scores.softmax(-1), v).transpose(1, 2).reshape({b, l, width});
  at::Tensor y = x + out_proj_->forward(attended);
  h = fc1_->forward(layer_norm2_->forward(y));
  h = quick_gelu_ ? h * at::sigmoid(1.702 * h) : at::gelu(h);
  return y + fc2_->forward(h);
}

ClipTextModelImpl::ClipTextModelImpl(const ClipTextConfig& config) : config_(config) {
  token_embedding_ =
      register_module("token_embedding", torch::nn::Embedding(config.vocab_size, config.hidden_size));
  position_embedding_ = register_module(
      "position_embedding", torch::nn::Embedding(config.max_position_embeddings, config.hidden_size));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    layers_.push_back(register_module("layer" + std::to_string(i), ClipEncoderLayer(config)));
  }
  final_layer_norm_ = register_module(
      "final_layer_norm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
  // Hugging Face's CLIP initialization for the embeddings (std 0.02): with
  // torch's default N(0, 1), tied next-token logits start at ±200.
  {
    torch::NoGradGuard no_grad;
    token_embedding_->weight.normal_(0.0, 0.02);
    position_embedding_->weight.normal_(0.0, 0.01);
  }
  if (config.projection_dim > 0) {
    text_projection_ = register_module(
        "text_projection",
        torch::nn::Linear(torch::nn::LinearOptions(config.hidden_size, config.projection_dim).bias(false)));
  }
}

ClipTextOutput ClipTextModelImpl::forward(const at::Tensor& input_ids, const at::Tensor& eos_position,
                                          const at::Tensor& attention_mask, const LayerHook& hook) {
  return forward_embeds(token_embedding_->forward(input_ids), eos_position, attention_mask, hook);
}

ClipTextOutput ClipTextModelImpl::forward_embeds(const at::Tensor& token_embeds,
                                                 const at::Tensor& eos_position,
                                                 const at::Tensor& attention_mask, const LayerHook& hook) {
  const int64_t b = token_embeds.size(0), l = token_embeds.size(1);
  TORCH_CHECK(l <= config_.max_position_embeddings, "sequence of ", l, " tokens exceeds ",
              config_.max_position_embeddings, " positions");
  const auto options = token_embedding_->weight.options();
  at::Tensor positions = at::arange(l, at::TensorOptions().dtype(at::kLong).device(token_embeds.device()));
  at::Tensor x = token_embeds + position_embedding_->forward(positions);
  // Causal mask (and padding keys masked when a mask is given): additive bias.
  at::Tensor bias = at::full({l, l}, -std::numeric_limits<float>::infinity(), options).triu(1);
  bias = bias.view({1, 1, l, l});
  if (attention_mask.defined()) {
    const at::Tensor keys = attention_mask.to(options.dtype()).view({b, 1, 1, l});
    bias = bias + (1 - keys) * std::numeric_limits<float>::lowest();
  }
  ClipTextOutput out;
  out.hidden_states.push_back(x);
  for (int64_t i = 0; i < static_cast<int64_t>(layers_.size()); ++i) {
    x = layers_[i]->forward(x, bias);
    if (hook) x = hook(i, x);
    out.hidden_states.push_back(x);
  }
  out.last_hidden_state = final_layer_norm_->forward(x);
  out.pooled = out.last_hidden_state.index({at::arange(b, eos_position.options()), eos_position});
  if (text_projection_) out.projected = text_projection_->forward(out.pooled);
  return out;
}

at::Tensor EosPositions(const at::Tensor& ids) { return (ids == kEndOfText).to(at::kInt).argmax(1); }

ClipTextOutput ForwardPrompts(ClipTextModel& model, const ClipTokenizer& tokenizer,
                              const std::vector<std::string>& prompts, Padding padding, const LayerHook& hook,
                              int context_length) {
  const TokenBatch tokens = TokenizeBatch(tokenizer, prompts, padding, context_length);
  const int64_t b = static_cast<int64_t>(prompts.size());
  const int64_t l = b > 0 ? static_cast<int64_t>(tokens.ids[0].size()) : 0;
  std::vector<int64_t> ids;
  for (const auto& row : tokens.ids) ids.insert(ids.end(), row.begin(), row.end());
  const std::vector<int64_t> eos(tokens.eos_position.begin(), tokens.eos_position.end());
  return model->forward(at::tensor(ids, at::kLong).view({b, l}), at::tensor(eos, at::kLong), {}, hook);
}

std::vector<std::pair<std::string, at::Tensor>> HfStateDict(ClipTextModel& model) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : model->named_parameters()) {
    std::string key = item.key();
    if (key.rfind("text_projection.", 0) == 0) {
      out.emplace_back(key, item.value());
      continue;
    }
    // "layer3.q_proj.weight" -> "encoder.layers.3.self_attn.q_proj.weight", etc.
    if (key.rfind("layer", 0) == 0 && key.rfind("layer_norm", 0) != 0) {
      const size_t dot = key.find('.');
      const std::string index = key.substr(5, dot - 5);
      std::string rest = key.substr(dot + 1);
      if (rest.rfind("fc", 0) == 0) {
        rest = "mlp." + rest;
      } else if (rest.rfind("layer_norm", 0) != 0) {
        rest = "self_attn." + rest;
      }
      key = "encoder.layers." + index + "." + rest;
    } else if (key.rfind("token_embedding", 0) == 0 || key.rfind("position_embedding", 0) == 0) {
      key = "embeddings." + key;
    }
    out.emplace_back("text_model." + key, item.value());
  }
  return out;
}

absl::StatusOr<ClipTextModel> LoadHfClipText(const std::string& dir) {
  std::ifstream config_file(dir + "/config.json");
  if (!config_file) return absl::NotFoundError(absl::StrCat(dir, "/config.json: cannot open"));
  const nlohmann::json json = nlohmann::json::parse(config_file, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Invalid(absl::StrCat(dir, "/config.json is not valid JSON"));
  absl::StatusOr<ClipTextConfig> config = ClipTextConfig::FromJson(json);
  if (!config.ok())
    return absl::Status(config.status().code(), absl::StrCat(dir, ": ", config.status().message()));

  const std::string weights = dir + "/model.safetensors";
  absl::StatusOr<tensor::SafetensorsFile> file = tensor::SafetensorsFile::Open(weights);
  if (!file.ok()) return file.status();
  // The projection exists iff the weights have it.
  config->projection_dim = 0;
  if (absl::StatusOr<const tensor::SafetensorsEntry*> p = file->Find("text_projection.weight"); p.ok()) {
    config->projection_dim = (*p)->shape.empty() ? 0 : (*p)->shape[0];
  }
  ClipTextModel model(*config);
  torch::NoGradGuard no_grad;
  std::set<std::string> expected;
  for (auto& [key, param] : HfStateDict(model)) {
    expected.insert(key);
    absl::StatusOr<const tensor::SafetensorsEntry*> entry = file->Find(key);
    if (!entry.ok()) return Invalid(absl::StrCat(weights, ": missing tensor \"", key, "\""));
    absl::StatusOr<at::Tensor> value = tensor::ReadTensor(*file, **entry);
    if (!value.ok()) return value.status();
    if (value->sizes() != param.sizes()) {
      return Invalid(absl::StrCat(weights, ": tensor \"", key, "\" has shape [",
                                  c10::Join(", ", value->sizes()), "], expected [",
                                  c10::Join(", ", param.sizes()), "]"));
    }
    if (!value->is_floating_point()) {
      return Invalid(absl::StrCat(weights, ": tensor \"", key, "\" is not floating point"));
    }
    param.copy_(value->to(at::kFloat));
  }
  for (const tensor::SafetensorsEntry& e : file->entries()) {
    if (!expected.count(e.name) && e.name != "text_model.embeddings.position_ids") {
      return Invalid(absl::StrCat(weights, ": unexpected tensor \"", e.name, "\""));
    }
  }
  model->eval();
  return model;
}

absl::Status SaveHfClipText(ClipTextModel& model, const std::string& dir,
                            const std::map<std::string, std::string>& metadata, bool half) {
  ::mkdir(dir.c_str(), 0755);
  const std::string config = model->config().ToJson().dump(2) + "\n";
  if (absl::Status s = tensor::WriteTextAtomically(dir + "/config.json", config); !s.ok()) {
    return s;
  }
  tensor::NamedTensors tensors;
  for (auto& [key, value] : HfStateDict(model)) {
    tensors.emplace_back(key, half ? value.detach().to(at::kHalf) : value.detach());
  }
  std::map<std::string, std::string> meta = metadata;
  meta["format"] = "pt";
  return tensor::SaveSafetensors(dir + "/model.safetensors", tensors, meta);
}

}  // namespace warden::clip
