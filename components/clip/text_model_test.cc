#include "components/clip/text_model.h"

#include <torch/torch.h>

#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "components/tensor/safetensors_torch.h"

namespace warden::clip {
namespace {

using ::testing::HasSubstr;

ClipTextConfig Tiny(int64_t projection = 0) {
  ClipTextConfig c;
  c.vocab_size = 64;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 4;
  c.max_position_embeddings = 16;
  c.projection_dim = projection;
  return c;
}

std::string TempDir(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

at::Tensor Ids() { return at::tensor({1, 5, 9, 2, 2, 2, 7, 8, 3, 4, 2, 2}, at::kLong).view({2, 6}); }
at::Tensor Eos() { return at::tensor({3, 4}, at::kLong); }

TEST(TextModelTest, HfLayoutRoundTripGivesIdenticalOutputs) {
  torch::manual_seed(0);
  ClipTextModel model(Tiny(/*projection=*/8));
  model->eval();
  const std::string dir = TempDir("hf");
  ASSERT_TRUE(SaveHfClipText(model, dir).ok());
  absl::StatusOr<ClipTextModel> loaded = LoadHfClipText(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  torch::NoGradGuard no_grad;
  ClipTextOutput a = model->forward(Ids(), Eos());
  ClipTextOutput b = (*loaded)->forward(Ids(), Eos());
  EXPECT_TRUE(at::equal(a.last_hidden_state, b.last_hidden_state));
  EXPECT_TRUE(at::equal(a.projected, b.projected));
  EXPECT_EQ(a.hidden_states.size(), 4u);
  EXPECT_EQ(a.pooled.sizes().vec(), (std::vector<int64_t>{2, 32}));
  EXPECT_TRUE(at::equal(a.pooled[1], a.last_hidden_state[1][4]));
}

TEST(TextModelTest, HfKeyNames) {
  ClipTextModel model(Tiny(8));
  std::set<std::string> keys;
  for (const auto& [key, value] : HfStateDict(model)) keys.insert(key);
  for (const char* key : {"text_model.embeddings.token_embedding.weight",
                          "text_model.embeddings.position_embedding.weight",
                          "text_model.encoder.layers.0.self_attn.q_proj.weight",
                          "text_model.encoder.layers.2.self_attn.out_proj.bias",
                          "text_model.encoder.layers.1.layer_norm1.weight",
                          "text_model.encoder.layers.1.mlp.fc1.weight",
                          "text_model.encoder.layers.0.layer_norm2.bias",
                          "text_model.final_layer_norm.weight", "text_projection.weight"}) {
    EXPECT_TRUE(keys.count(key)) << key;
  }
  EXPECT_EQ(keys.size(), 2u + 3u * 16u + 2u + 1u);
}

TEST(TextModelTest, IdentityHookIsBitIdenticalAndEditsPropagateForwardOnly) {
  torch::manual_seed(1);
  ClipTextModel model(Tiny());
  model->eval();
  torch::NoGradGuard no_grad;
  ClipTextOutput plain = model->forward(Ids(), Eos());
  ClipTextOutput hooked = model->forward(Ids(), Eos(), {}, [](int64_t, const at::Tensor& x) { return x; });
  EXPECT_TRUE(at::equal(plain.last_hidden_state, hooked.last_hidden_state));
  ClipTextOutput edited = model->forward(Ids(), Eos(), {}, [](int64_t layer, const at::Tensor& x) {
    return layer == 1 ? x * 0.5 : x;
  });
  EXPECT_TRUE(at::equal(plain.hidden_states[1], edited.hidden_states[1]));  // before the edit
  EXPECT_FALSE(at::equal(plain.hidden_states[2], edited.hidden_states[2]));
  EXPECT_FALSE(at::equal(plain.last_hidden_state, edited.last_hidden_state));
}

TEST(TextModelTest, CausalAttention) {
  torch::manual_seed(2);
  ClipTextModel model(Tiny());
  model->eval();
  torch::NoGradGuard no_grad;
  at::Tensor ids = Ids();
  at::Tensor changed = ids.clone();
  changed[0][5] = 11;  // change a later token
  ClipTextOutput a = model->forward(ids, Eos()), b = model->forward(changed, Eos());
  EXPECT_TRUE(at::allclose(a.last_hidden_state[0].slice(0, 0, 5), b.last_hidden_state[0].slice(0, 0, 5)));
  EXPECT_FALSE(at::allclose(a.last_hidden_state[0][5], b.last_hidden_state[0][5]));
}

TEST(TextModelTest, BadCheckpointsNameTheProblem) {
  torch::manual_seed(3);
  ClipTextModel model(Tiny());
  const std::string dir = TempDir("bad");
  ASSERT_TRUE(SaveHfClipText(model, dir).ok());
  // Mis-shaped, missing and extra keys.
  tensor::NamedTensors tensors;
  for (auto& [key, value] : HfStateDict(model)) tensors.emplace_back(key, value.detach());
  tensors[0].second = at::zeros({3, 3});
  ASSERT_TRUE(tensor::SaveSafetensors(dir + "/model.safetensors", tensors).ok());
  EXPECT_THAT(LoadHfClipText(dir).status().message(), HasSubstr("expected [64, 32]"));
  tensors.erase(tensors.begin());
  ASSERT_TRUE(tensor::SaveSafetensors(dir + "/model.safetensors", tensors).ok());
  EXPECT_THAT(LoadHfClipText(dir).status().message(), HasSubstr("missing tensor"));
  for (auto& [key, value] : HfStateDict(model)) {
    if (key == "text_model.embeddings.token_embedding.weight") tensors.emplace_back(key, value.detach());
  }
  tensors.emplace_back("text_model.extra.weight", at::zeros({2}));
  ASSERT_TRUE(tensor::SaveSafetensors(dir + "/model.safetensors", tensors).ok());
  EXPECT_THAT(LoadHfClipText(dir).status().message(), HasSubstr("unexpected tensor \"text_model.extra.weight\""));
  // Config problems.
  std::ofstream(dir + "/config.json") << "{\"hidden_size\": 30, \"num_attention_heads\": 4}";
  EXPECT_THAT(LoadHfClipText(dir).status().message(), HasSubstr("not divisible"));
  std::ofstream(dir + "/config.json") << "{not json";
  EXPECT_EQ(LoadHfClipText(dir).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadHfClipText(TempDir("none")).status().code(), absl::StatusCode::kNotFound);
}

TEST(TextModelTest, ConfigAcceptsHfFormats) {
  const auto full = nlohmann::json::parse(R"({"architectures": ["CLIPModel"], "projection_dim": 768,
    "text_config": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
    "num_hidden_layers": 12, "hidden_act": "quick_gelu", "vocab_size": 49408}})");
  absl::StatusOr<ClipTextConfig> c = ClipTextConfig::FromJson(full);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->num_hidden_layers, 12);
  EXPECT_EQ(c->projection_dim, 768);
  EXPECT_FALSE(ClipTextConfig::FromJson(nlohmann::json::parse(R"({"hidden_act": "relu"})")).ok());
  EXPECT_FALSE(ClipTextConfig::FromJson(nlohmann::json::parse(R"({"hidden_size": "big"})")).ok());
}

}  // namespace
}  // namespace warden::clip
