#include "components/segattack/segmenter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "components/segattack/train.h"
#include "components/segdata/scenes.h"
#include "components/status/status_matchers.h"
#include "components/tensor/checkpoint.h"
#include "components/tensor/module_state.h"

namespace warden::segattack {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

TEST(SegNetTest, BothArchitecturesMapPixelsToLogitsOfTheSameSize) {
  for (const char* arch : {"unet", "fcn"}) {
    ASSERT_OK_AND_ASSIGN(SegNet net, MakeSegNet({arch, 16, 1, 11}, 0));
    // The spec's ~100k parameters for the 16-32-64 stages.
    EXPECT_GT(net->num_parameters(), 80000) << arch;
    EXPECT_LT(net->num_parameters(), 140000) << arch;
    for (int64_t side : {48, 30}) {
      const at::Tensor logits = net->forward(torch::rand({2, 1, side, side}));
      EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 11, side, side})) << arch << " " << side;
    }
  }
}

TEST(SegNetTest, RefusesBadShapes) {
  EXPECT_EQ(MakeSegNet({"resnet", 16, 1, 11}, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeSegNet({"unet", 0, 1, 11}, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SegNetTest, SaveAndLoadGiveTheSameLogits) {
  ASSERT_OK_AND_ASSIGN(SegNet net, MakeSegNet({"fcn", 4, 1, 11}, 3));
  const std::string path = TempPath("fcn.safetensors");
  ASSERT_OK(SaveSegNet(net, {{"dataset", "mnist"}}, path));
  ASSERT_OK_AND_ASSIGN(LoadedSegNet loaded, LoadSegNet(path));
  EXPECT_EQ(loaded.metadata["dataset"], "mnist");
  EXPECT_EQ(loaded.model->shape().architecture, "fcn");
  const at::Tensor x = torch::rand({1, 1, 16, 16});
  net->eval();  // batch norm's running statistics, as the loaded model uses
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(net->forward(x), loaded.model->forward(x)));
}

TEST(SegNetTest, LoadNamesWhatIsWrong) {
  ASSERT_OK_AND_ASSIGN(SegNet net, MakeSegNet({"unet", 4, 1, 11}, 0));
  const std::string path = TempPath("unet.safetensors");
  ASSERT_OK(SaveSegNet(net, {}, path));
  const SegmenterShape fcn{"fcn", 4, 1, 11};
  EXPECT_THAT(std::string(LoadSegNet(path, &fcn).status().message()), HasSubstr("expected a fcn"));
  EXPECT_EQ(LoadSegNet(TempPath("missing.safetensors")).status().code(), absl::StatusCode::kNotFound);

  // Metadata that claims another width: the first tensor's shape is named.
  ASSERT_OK_AND_ASSIGN(SegNet wide, MakeSegNet({"unet", 8, 1, 11}, 0));
  tensor::Checkpoint lie;
  lie.tensors = tensor::ModuleTensors(*net);
  lie.metadata = {{"architecture", "unet"}, {"width", 8}, {"in_channels", 1}, {"num_classes", 11}};
  const std::string lie_path = TempPath("lie.safetensors");
  ASSERT_OK(tensor::SaveCheckpoint(lie_path, lie));
  const absl::Status status = LoadSegNet(lie_path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("the model expects"));

  lie.metadata = {{"architecture", "unet"}, {"width", "8"}};
  ASSERT_OK(tensor::SaveCheckpoint(lie_path, lie));
  EXPECT_THAT(std::string(LoadSegNet(lie_path).status().message()), HasSubstr("integer \"width\""));
}

TEST(SegTrainTest, LearnsOnRealScenes) {
  segdata::SceneOptions options;
  ASSERT_OK_AND_ASSIGN(segdata::SceneSet train,
                       segdata::LoadScenes("mnist", tensor::Split::kTrain, 256, options));
  ASSERT_OK_AND_ASSIGN(segdata::SceneSet test,
                       segdata::LoadScenes("mnist", tensor::Split::kTest, 64, options));
  ASSERT_OK_AND_ASSIGN(SegNet net, MakeSegNet({"unet", 8, 1, 11}, 0));
  const SegScores before = Score(net, test.images, test.masks);
  SegTrainConfig config;
  config.epochs = 3;
  config.learning_rate = 1e-2;  // 24 steps: batch norm needs a brisk start
  ASSERT_OK_AND_ASSIGN(SegTrainReport report, TrainSegNet(net, train, test, config));
  ASSERT_EQ(report.epoch_loss.size(), 3u);
  EXPECT_LT(report.epoch_loss[2], 0.8 * report.epoch_loss[0]);
  // Background is ~4/5 of the labelled pixels: the model must at least be finding it.
  EXPECT_GT(report.test.back().pixel_accuracy, 0.6);
  EXPECT_GT(report.test.back().pixel_accuracy, before.pixel_accuracy);

  config.epochs = 0;
  EXPECT_EQ(TrainSegNet(net, train, test, config).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warden::segattack
