// The SimCLR encoder: shapes, augmentations (range, determinism, identity at
// zero strength), the NT-Xent loss against hand values, a short training run
// on real MNIST that lowers the loss and makes features more class-consistent
// than chance, and checkpoints (round trip, refusals).
#include "components/secure_learning/encoder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "components/status/status_matchers.h"
#include "components/tensor/checkpoint.h"
#include "components/tensor/datasets.h"
#include "components/tensor/random.h"

namespace warden::secure_learning {
namespace {

using ::testing::HasSubstr;
using ::warden::testing::StatusIs;

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / (std::to_string(::getpid()) + "_" + name)).string();
}

TEST(EncoderTest, Shapes) {
  ASSERT_OK_AND_ASSIGN(Encoder e, MakeEncoder({}, 0));
  const at::Tensor x = at::rand({3, 1, 28, 28});
  const at::Tensor phi = e->forward(x);
  EXPECT_EQ(phi.sizes(), (at::IntArrayRef{3, 128}));
  EXPECT_EQ(e->project(phi).sizes(), (at::IntArrayRef{3, 64}));
  const at::Tensor f = ExtractFeatures(e, x, 2);
  EXPECT_EQ(f.sizes(), (at::IntArrayRef{3, 128}));
  EXPECT_TRUE(f.norm(2, 1).allclose(at::ones({3}), 1e-5, 1e-5));
  EXPECT_THAT(MakeEncoder({.width = 0}, 0).status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EncoderTest, AugmentStaysInRangeAndIsSeeded) {
  const at::Tensor x = at::rand({8, 1, 28, 28});
  AugmentOptions o;
  o.horizontal_flip = true;
  at::Generator g1 = tensor::MakeCpuGenerator(1, 0), g2 = tensor::MakeCpuGenerator(1, 0);
  const at::Tensor a = Augment(x, o, g1), b = Augment(x, o, g2);
  EXPECT_TRUE(a.equal(b));
  EXPECT_EQ(a.sizes(), x.sizes());
  EXPECT_GE(a.min().item<float>(), 0.f);
  EXPECT_LE(a.max().item<float>(), 1.f);
  EXPECT_FALSE(a.allclose(x, 1e-3, 1e-3));
  // At zero strength the view is the image (up to grid-sample rounding).
  const AugmentOptions none{0, 0, 1, 1, 1, 0, 0, 0, false};
  at::Generator g3 = tensor::MakeCpuGenerator(2, 0);
  EXPECT_TRUE(Augment(x, none, g3).allclose(x, 1e-5, 1e-5));
}

TEST(EncoderTest, NtXentHandValues) {
  // One pair of identical views: the only candidate is the positive, loss 0.
  const at::Tensor z = at::tensor({1.f, 0.f}).view({1, 2});
  EXPECT_NEAR(NtXentLoss(z, z, 0.5).item<double>(), 0, 1e-6);
  // Two pairs, orthogonal: each row sees its positive (cos 1) and two
  // negatives (cos 0): loss = -log(e^{1/tau} / (e^{1/tau} + 2)).
  const at::Tensor z1 = at::eye(2), z2 = at::eye(2);
  const double tau = 0.5;
  EXPECT_NEAR(NtXentLoss(z1, z2, tau).item<double>(), -std::log(std::exp(2.0) / (std::exp(2.0) + 2)), 1e-6);
}

TEST(EncoderTest, ShortTrainingOnMnistLearns) {
  ASSERT_OK_AND_ASSIGN(const tensor::ImageDataset data,
                       tensor::LoadImageDataset("mnist", tensor::Split::kTrain, 1024));
  ASSERT_OK_AND_ASSIGN(Encoder e, MakeEncoder({.width = 8}, 0));
  SimClrConfig c;
  c.epochs = 3;
  c.batch_size = 128;
  ASSERT_OK_AND_ASSIGN(const SimClrReport r, TrainSimClr(e, data.images.slice(0, 0, 768), c));
  ASSERT_EQ(r.epoch_loss.size(), 3u);
  EXPECT_LT(r.epoch_loss.back(), r.epoch_loss.front());
  // 1-NN on the features of held-out images beats chance (0.1) by far.
  const at::Tensor train_f = ExtractFeatures(e, data.images.slice(0, 0, 768));
  const at::Tensor test_f = ExtractFeatures(e, data.images.slice(0, 768, 1024));
  const at::Tensor nearest = test_f.mm(train_f.t()).argmax(1);
  const double acc =
      (data.labels.slice(0, 0, 768).index_select(0, nearest) == data.labels.slice(0, 768, 1024))
          .to(at::kFloat)
          .mean()
          .item<double>();
  EXPECT_GT(acc, 0.5);

  const std::string path = TempPath("enc.safetensors");
  ASSERT_OK(SaveEncoder(e, {{"note", "test"}}, path));
  ASSERT_OK_AND_ASSIGN(LoadedEncoder back, LoadEncoder(path));
  EXPECT_EQ(back.metadata["note"], "test");
  EXPECT_TRUE(ExtractFeatures(back.encoder, data.images.slice(0, 768, 800))
                  .allclose(test_f.slice(0, 0, 32), 1e-6, 1e-6));
}

TEST(EncoderTest, RefusesOtherCheckpoints) {
  const std::string other = TempPath("other.safetensors");
  tensor::Checkpoint c;
  c.tensors = {{"w", at::zeros({2})}};
  c.metadata = {{"model", "mnist_cnn"}};
  ASSERT_OK(tensor::SaveCheckpoint(other, c));
  EXPECT_THAT(LoadEncoder(other).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an encoder")));
  c.metadata = {{"model", "simclr_encoder"},
                {"width", 8},
                {"feature_dim", 128},
                {"projection_dim", 64},
                {"image_size", 28}};
  ASSERT_OK(tensor::SaveCheckpoint(other, c));
  EXPECT_THAT(LoadEncoder(other).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("other.safetensors")));
  EXPECT_FALSE(LoadEncoder(TempPath("missing.safetensors")).ok());
}

}  // namespace
}  // namespace warden::secure_learning
