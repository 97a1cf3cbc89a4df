// The robust encoder: the folded export computes the eval-mode forward, the
// regulariser shrinks the layers' spectral norms, both pre-training modes
// run, and checkpoints round-trip or fail with a clear error.
#include "components/reaas/encoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "components/status/status_matchers.h"

namespace warden::reaas {
namespace {

using ::testing::HasSubstr;
using ::warden::testing::StatusIs;

EncoderShape Small() { return EncoderShape{.width = 4, .feature_dim = 8, .image_size = 28}; }

// Label 0: the top half lit; label 1: the bottom half.
std::pair<at::Tensor, at::Tensor> Halves(int64_t n, uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor y = at::randint(0, 2, {n}, at::kLong);
  at::Tensor x = at::rand({n, 1, 28, 28}) * 0.2;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = y[i].item<int64_t>() == 0 ? 0 : 14;
    x[i].slice(1, top, top + 14).add_(0.7);
  }
  return {x.clamp(0, 1), y};
}

TEST(ReaasEncoderTest, FoldedExportEqualsTheEvalForward) {
  ASSERT_OK_AND_ASSIGN(RobustEncoder encoder, MakeRobustEncoder(Small(), 1));
  const auto [x, y] = Halves(64, 2);
  PretrainConfig c;
  c.epochs = 1;
  c.batch_size = 16;
  ASSERT_OK(PretrainEncoder(encoder, x, y, 2, c).status());  // moves the BN statistics off 0 / 1
  const FoldedEncoder folded = Fold(encoder);
  ASSERT_EQ(folded.layers.size(), 4u);
  EXPECT_EQ(folded.feature_dim(), 8);
  torch::NoGradGuard no_grad;
  encoder->eval();
  EXPECT_TRUE(folded.Forward(x).allclose(encoder->forward(x), 1e-4, 1e-5));
}

TEST(ReaasEncoderTest, AdjointsAreAdjoint) {
  ASSERT_OK_AND_ASSIGN(RobustEncoder encoder, MakeRobustEncoder(Small(), 3));
  for (const AffineLayer& layer : Fold(encoder).layers) {
    std::vector<int64_t> shape = {1};
    shape.insert(shape.end(), layer.input_shape.begin(), layer.input_shape.end());
    AffineLayer as_double = layer;
    as_double.weight = layer.weight.to(at::kDouble);
    const at::Tensor v = at::randn(shape, at::kDouble);
    const at::Tensor u = at::randn(as_double.Linear(v).sizes(), at::kDouble);
    EXPECT_NEAR((as_double.Linear(v) * u).sum().item<double>(),
                (v * as_double.Adjoint(u)).sum().item<double>(), 1e-9);
  }
}

TEST(ReaasEncoderTest, TheRegulariserShrinksSpectralNorms) {
  const auto [x, y] = Halves(96, 4);
  std::vector<double> spectral;
  for (double lambda : {0.0, 0.5}) {
    ASSERT_OK_AND_ASSIGN(RobustEncoder encoder, MakeRobustEncoder(Small(), 5));
    PretrainConfig c;
    c.epochs = 3;
    c.batch_size = 16;
    c.learning_rate = 3e-3;
    c.lambda = lambda;
    ASSERT_OK_AND_ASSIGN(const PretrainReport r, PretrainEncoder(encoder, x, y, 2, c));
    ASSERT_EQ(r.epoch_spectral.size(), 3u);
    spectral.push_back(r.epoch_spectral.back());
  }
  EXPECT_LT(spectral[1], 0.8 * spectral[0]);
}

TEST(ReaasEncoderTest, ContrastivePretrainingRuns) {
  const auto [x, y] = Halves(32, 6);
  ASSERT_OK_AND_ASSIGN(RobustEncoder encoder, MakeRobustEncoder(Small(), 7));
  PretrainConfig c;
  c.mode = Pretraining::kContrastive;
  c.epochs = 1;
  c.batch_size = 16;
  c.lambda = 0.1;
  ASSERT_OK_AND_ASSIGN(const PretrainReport r, PretrainEncoder(encoder, x, at::Tensor(), 0, c));
  ASSERT_EQ(r.epoch_loss.size(), 1u);
  EXPECT_TRUE(std::isfinite(r.epoch_loss[0]));
  EXPECT_GT(r.epoch_loss[0], 0);
}

TEST(ReaasEncoderTest, CheckpointsRoundTripAndFailClearly) {
  ASSERT_OK_AND_ASSIGN(RobustEncoder encoder, MakeRobustEncoder(Small(), 8));
  const FoldedEncoder folded = Fold(encoder);
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/reaas_encoder.safetensors";
  ASSERT_OK(SaveFoldedEncoder(folded, {{"lambda", 0.1}}, path));
  ASSERT_OK_AND_ASSIGN(const LoadedFoldedEncoder loaded, LoadFoldedEncoder(path));
  EXPECT_EQ(loaded.metadata["lambda"], 0.1);
  const at::Tensor x = at::rand({3, 1, 28, 28});
  EXPECT_TRUE(loaded.encoder.Forward(x).equal(folded.Forward(x)));
  EXPECT_THAT(LoadFoldedEncoder(dir + "/missing.safetensors").status(),
              StatusIs(absl::StatusCode::kNotFound));
  // Geometry that does not chain: the second conv claims another input size.
  FoldedEncoder broken = folded;
  broken.layers[1].input_shape = {4, 27, 27};
  ASSERT_OK(SaveFoldedEncoder(broken, {}, dir + "/broken.safetensors"));
  EXPECT_THAT(LoadFoldedEncoder(dir + "/broken.safetensors").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("chain")));
  EXPECT_THAT(MakeRobustEncoder(EncoderShape{.width = 4, .feature_dim = 8, .image_size = 30}, 0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace warden::reaas
