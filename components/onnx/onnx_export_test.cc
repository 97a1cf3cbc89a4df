// Structure and errors of the ONNX exports (the numbers are checked against
// LibTorch under onnxruntime-web: web/demo:parity_test).
#include <onnx/checker.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "components/clip/text_model.h"
#include "components/onnx/clip_export.h"
#include "components/onnx/graph_builder.h"
#include "components/onnx/mnist_export.h"
#include "components/onnx/web_bundle.h"
#include "components/smoothing/mnist_cnn.h"
#include "components/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace warden::onnx_export {
namespace {

using ::testing::HasSubstr;
using ::warden::testing::StatusIs;

clip::ClipTextConfig TinyConfig(const std::string& act) {
  clip::ClipTextConfig config;
  config.vocab_size = 100;
  config.hidden_size = 16;
  config.intermediate_size = 32;
  config.num_hidden_layers = 3;
  config.num_attention_heads = 2;
  config.max_position_embeddings = 8;
  config.hidden_act = act;
  return config;
}

std::multiset<std::string> Ops(const onnx::ModelProto& model) {
  std::multiset<std::string> ops;
  for (const auto& node : model.graph().node()) ops.insert(node.op_type());
  return ops;
}

TEST(ClipExportTest, WholeEncoderAndPrefixAreValidGraphs) {
  clip::ClipTextModel model(TinyConfig("quick_gelu"));
  absl::StatusOr<onnx::ModelProto> full = ExportClipText(model, -1);
  ASSERT_TRUE(full.ok()) << full.status();
  absl::StatusOr<onnx::ModelProto> prefix = ExportClipText(model, 0);
  ASSERT_TRUE(prefix.ok()) << prefix.status();
  for (const onnx::ModelProto* m : {&*full, &*prefix}) {
    ASSERT_EQ(m->graph().input_size(), 1);
    EXPECT_EQ(m->graph().input(0).name(), "input_ids");
    ASSERT_EQ(m->graph().output_size(), 1);
    EXPECT_EQ(m->graph().output(0).name(), "hidden");
    EXPECT_EQ(m->opset_import(0).version(), kOpset);
  }
  // Per layer: two LayerNorms and one Softmax; the whole encoder adds the final LayerNorm.
  EXPECT_EQ(Ops(*full).count("Softmax"), 3u);
  EXPECT_EQ(Ops(*full).count("LayerNormalization"), 7u);
  EXPECT_EQ(Ops(*prefix).count("Softmax"), 1u);
  EXPECT_EQ(Ops(*prefix).count("LayerNormalization"), 2u);
  EXPECT_EQ(Ops(*full).count("Sigmoid"), 3u);  // quick GELU
}

// Float16 initializers and their bytes; every one is cast back by one Cast node.
std::pair<int64_t, int64_t> HalfInitializers(const onnx::ModelProto& model, int64_t* all_bytes) {
  int64_t count = 0, bytes = 0;
  *all_bytes = 0;
  for (const auto& init : model.graph().initializer()) {
    *all_bytes += static_cast<int64_t>(init.raw_data().size());
    if (init.data_type() == onnx::TensorProto::FLOAT16) {
      ++count;
      bytes += static_cast<int64_t>(init.raw_data().size());
    }
  }
  EXPECT_EQ(static_cast<int64_t>(Ops(model).count("Cast")), count);
  return {count, bytes};
}

TEST(ClipExportTest, WeightsThatAreHalfNumbersAreStoredAsHalf) {
  clip::ClipTextModel model(TinyConfig("quick_gelu"));
  int64_t float_bytes = 0, half_bytes = 0;
  absl::StatusOr<onnx::ModelProto> mixed = ExportClipText(model, -1);
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  // torch's random init is not F16 (LayerNorm's ones and zeros are): some, not all.
  const int64_t some = HalfInitializers(*mixed, &float_bytes).first;
  EXPECT_GT(some, 0);
  EXPECT_LT(some, static_cast<int64_t>(model->parameters().size()));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.copy_(p.to(at::kHalf).to(at::kFloat));
  }
  absl::StatusOr<onnx::ModelProto> half = ExportClipText(model, -1);
  ASSERT_TRUE(half.ok()) << half.status();
  const auto [count, bytes] = HalfInitializers(*half, &half_bytes);
  // Every parameter and the causal mask (its -inf are F16 too); scalars and shapes stay.
  EXPECT_GT(count, static_cast<int64_t>(model->parameters().size()));
  EXPECT_LT(half_bytes, float_bytes * 6 / 10);
}

TEST(ClipExportTest, ExactGeluUsesErf) {
  clip::ClipTextModel model(TinyConfig("gelu"));
  absl::StatusOr<onnx::ModelProto> full = ExportClipText(model, -1);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(Ops(*full).count("Erf"), 3u);
  EXPECT_EQ(Ops(*full).count("Sigmoid"), 0u);
}

TEST(ClipExportTest, ALayerOutsideTheModelIsAnError) {
  clip::ClipTextModel model(TinyConfig("quick_gelu"));
  EXPECT_THAT(ExportClipText(model, 3), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer 3")));
}

TEST(MnistExportTest, IsAValidGraphWithTheModelsWeights) {
  smoothing::MnistCnn model;
  absl::StatusOr<onnx::ModelProto> exported = ExportMnistCnn(model);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->graph().output(0).name(), "logits");
  EXPECT_EQ(Ops(*exported).count("Conv"), 2u);
  EXPECT_EQ(Ops(*exported).count("MaxPool"), 2u);
  // Every parameter is an initializer, bit for bit.
  int64_t floats = 0;
  for (const auto& init : exported->graph().initializer()) {
    if (init.data_type() == onnx::TensorProto::FLOAT)
      floats += static_cast<int64_t>(init.raw_data().size()) / 4;
  }
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  EXPECT_EQ(floats, params + 2);  // + mean and std
}

TEST(WebBundleTest, WritesEveryFileFromTheDefaults) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/bundle";
  WebBundleOptions options;
  options.test_digits = 10;
  std::vector<std::string> lines;
  ASSERT_THAT(WriteWebBundle(dir, options, [&](const std::string& l) { lines.push_back(l); }),
              ::warden::testing::IsOk());
  EXPECT_EQ(lines.size(), 5u);
  for (const char* name : {"clip_text_gate.onnx", "mnist_cnn.onnx", "sae.bin", "gate.json", "parity.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + name)) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/clip_text.onnx"));
  std::ifstream in(dir + "/gate.json");
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json gate = nlohmann::json::parse(text.str());
  const int64_t d = gate.at("d_model"), n = gate.at("n_latents");
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(dir + "/sae.bin")), 4 * (2 * n * d + d + n));
  EXPECT_EQ(gate.at("digits").size(), 10u);
  EXPECT_EQ(gate.at("digits")[0].at("pixels").size(), 784u);
  EXPECT_FALSE(gate.at("concepts").empty());
  onnx::ModelProto encoder;
  std::ifstream model_in(dir + "/clip_text_gate.onnx", std::ios::binary);
  ASSERT_TRUE(encoder.ParseFromIstream(&model_in));
  EXPECT_NO_THROW(onnx::checker::check_model(encoder));
}

TEST(WebBundleTest, ABadRegistryIsAnErrorAndWritesNothing) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/bad_bundle";
  WebBundleOptions options;
  options.registry = "/nonexistent/concepts.json";
  EXPECT_THAT(WriteWebBundle(dir, options), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

}  // namespace
}  // namespace warden::onnx_export
