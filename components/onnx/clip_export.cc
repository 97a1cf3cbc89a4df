#include "components/onnx/clip_export.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "components/onnx/graph_builder.h"

namespace warden::onnx_export {

absl::StatusOr<onnx::ModelProto> ExportClipText(clip::ClipTextModel& model, int64_t last_layer) {
  const clip::ClipTextConfig& config = model->config();
  if (last_layer >= config.num_hidden_layers) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer ", last_layer, " outside [0, ", config.num_hidden_layers, ")"));
  }
  const bool full = last_layer < 0;
  const int64_t layers = full ? config.num_hidden_layers : last_layer + 1;
  const int64_t width = config.hidden_size, heads = config.num_attention_heads, head_dim = width / heads;
  const int64_t positions = config.max_position_embeddings;
  std::map<std::string, at::Tensor> p;
  for (const auto& item : model->named_parameters()) p[item.key()] = item.value().detach().to(at::kFloat);

  GraphBuilder g(full ? "clip_text" : absl::StrCat("clip_text_to_layer_", last_layer));
  g.set_store_exact_half(true);
  g.Input("input_ids", onnx::TensorProto::INT64, {{0, "batch"}, {0, "tokens"}});

  // Embeddings: token rows + the first `tokens` position rows.
  const std::string tokens = g.Node("Shape", {"input_ids"}, {IntAttr("start", 1), IntAttr("end", 2)});  // [L]
  const std::string zero = g.Ints("zero", {0});
  const std::string position_rows = g.Node(
      "Slice", {g.Initializer("position_embedding", p.at("position_embedding.weight")), zero, tokens, zero});
  std::string x = g.Node(
      "Add",
      {g.Node("Gather", {g.Initializer("token_embedding", p.at("token_embedding.weight")), "input_ids"}),
       position_rows});

  // The causal mask as an additive bias, cut to [L, L].
  const at::Tensor causal =
      at::full({positions, positions}, -std::numeric_limits<float>::infinity(), at::kFloat).triu(1);
  const std::string bias =
      g.Node("Slice", {g.Initializer("causal_mask", causal), g.Ints("zeros", {0, 0}),
                       g.Node("Concat", {tokens, tokens}, {IntAttr("axis", 0)}), g.Ints("axes", {0, 1})});
  const std::string split_shape = g.Ints("split_shape", {0, 0, heads, head_dim});
  const std::string merge_shape = g.Ints("merge_shape", {0, 0, width});
  const float eps = static_cast<float>(config.layer_norm_eps);
  auto layer_norm = [&](const std::string& in, const std::string& name) {
    return g.Node("LayerNormalization",
                  {in, g.Initializer(name + "_g", p.at(name + ".weight")),
                   g.Initializer(name + "_b", p.at(name + ".bias"))},
                  {IntAttr("axis", -1), FloatAttr("epsilon", eps)});
  };
  auto linear = [&](const std::string& in, const std::string& name) {
    return g.Linear(in, p.at(name + ".weight"), p.at(name + ".bias"), name);
  };
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));

  for (int64_t i = 0; i < layers; ++i) {
    const std::string l = absl::StrCat("layer", i);
    const std::string h = layer_norm(x, l + ".layer_norm1");
    auto heads_of = [&](const std::string& t, const std::vector<int64_t>& perm) {
      return g.Node("Transpose", {g.Node("Reshape", {t, split_shape})}, {IntsAttr("perm", perm)});
    };
    const std::string q =
        heads_of(g.Node("Mul", {linear(h, l + ".q_proj"), g.Scalar("scale", scale)}), {0, 2, 1, 3});
    const std::string kt = heads_of(linear(h, l + ".k_proj"), {0, 2, 3, 1});
    const std::string v = heads_of(linear(h, l + ".v_proj"), {0, 2, 1, 3});
    const std::string weights =
        g.Node("Softmax", {g.Node("Add", {g.Node("MatMul", {q, kt}), bias})}, {IntAttr("axis", -1)});
    const std::string attended = g.Node(
        "Reshape", {g.Node("Transpose", {g.Node("MatMul", {weights, v})}, {IntsAttr("perm", {0, 2, 1, 3})}),
                    merge_shape});
    const std::string y = g.Node("Add", {x, linear(attended, l + ".out_proj")});
    std::string m = linear(layer_norm(y, l + ".layer_norm2"), l + ".fc1");
    if (config.hidden_act == "quick_gelu") {
      m = g.Node("Mul", {m, g.Node("Sigmoid", {g.Node("Mul", {m, g.Scalar("gelu_a", 1.702f)})})});
    } else {
      // Exact GELU: x · Φ(x) = x · (1 + erf(x / √2)) / 2.
      const std::string erf =
          g.Node("Erf", {g.Node("Mul", {m, g.Scalar("rsqrt2", static_cast<float>(M_SQRT1_2))})});
      m = g.Node("Mul",
                 {g.Node("Mul", {m, g.Scalar("half", 0.5f)}), g.Node("Add", {erf, g.Scalar("one", 1.0f)})});
    }
    x = g.Node("Add", {y, linear(m, l + ".fc2")});
  }
  if (full) x = layer_norm(x, "final_layer_norm");
  g.Node("Identity", {x}, {}, "hidden");
  g.Output("hidden", onnx::TensorProto::FLOAT, {{0, "batch"}, {0, "tokens"}, {width, ""}});
  return g.Finish(
      full ? "CLIP text encoder: last hidden state (after the final LayerNorm)"
           : absl::StrCat("CLIP text encoder up to layer ", last_layer, ": its output (residual stream)"));
}

}  // namespace warden::onnx_export
