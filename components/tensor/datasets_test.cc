// Loads the real MNIST and Fashion-MNIST that tools/setup installs.
#include "components/tensor/datasets.h"

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "components/tensor/data_dir.h"

namespace warden::tensor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<int64_t> ToVector(const at::Tensor& t) {
  at::Tensor c = t.contiguous().to(at::kLong);
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

TEST(DatasetsTest, MnistTestSplitIsTheCanonicalOne) {
  absl::StatusOr<ImageDataset> mnist = LoadImageDataset("mnist", Split::kTest);
  ASSERT_TRUE(mnist.ok()) << mnist.status();
  EXPECT_EQ(mnist->images.sizes().vec(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(mnist->labels.sizes().vec(), (std::vector<int64_t>{10000}));
  EXPECT_EQ(mnist->images.scalar_type(), at::kFloat);
  EXPECT_EQ(mnist->images.min().item<float>(), 0.0f);
  EXPECT_EQ(mnist->images.max().item<float>(), 1.0f);
  // The canonical MNIST test set starts 7 2 1 0 4 and has these class counts.
  EXPECT_THAT(ToVector(mnist->labels.slice(0, 0, 5)), ElementsAre(7, 2, 1, 0, 4));
  EXPECT_THAT(ToVector(at::bincount(mnist->labels, {}, 10)),
              ElementsAre(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009));
}

TEST(DatasetsTest, MnistTrainAndLimit) {
  absl::StatusOr<ImageDataset> train = LoadImageDataset("mnist", Split::kTrain, /*limit=*/100);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->images.size(0), 100);
  EXPECT_THAT(ToVector(train->labels.slice(0, 0, 3)), ElementsAre(5, 0, 4));
}

TEST(DatasetsTest, FashionMnistFromGzip) {
  absl::StatusOr<ImageDataset> fashion = LoadImageDataset("fashion-mnist", Split::kTest);
  ASSERT_TRUE(fashion.ok()) << fashion.status();
  EXPECT_EQ(fashion->images.size(0), 10000);
  // Fashion-MNIST's test set is balanced: 1000 per class; it starts 9 2 1 1.
  EXPECT_THAT(ToVector(at::bincount(fashion->labels, {}, 10)),
              ElementsAre(1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000));
  EXPECT_THAT(ToVector(fashion->labels.slice(0, 0, 4)), ElementsAre(9, 2, 1, 1));
}

TEST(DatasetsTest, ErrorsNameTheProblem) {
  absl::StatusOr<ImageDataset> cifar = LoadImageDataset("cifar10", Split::kTest);
  EXPECT_EQ(cifar.status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<ImageDataset> text = LoadImageDataset("sotu", Split::kTest);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);

  SetDataDirOverride(std::string(std::getenv("TEST_TMPDIR")) + "/empty");
  absl::StatusOr<ImageDataset> missing = LoadImageDataset("mnist", Split::kTest);
  SetDataDirOverride("");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("/setup"));
}

}  // namespace
}  // namespace warden::tensor
