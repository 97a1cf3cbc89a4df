// Model files told apart by content, and the bf16 forward against fp32 on the
// embedded MNIST model (sampler.h's Precision).
#include "components/smoothing/model_file.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "components/smoothing/default_model.h"
#include "components/smoothing/sampler.h"
#include "components/tensor/datasets.h"

namespace warden::smoothing {
namespace {

std::string TempFile(const std::string& name, const std::string& bytes) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

constexpr char kScripted[] = "components/smoothing/testdata/mean_threshold.pt";

TEST(ModelFileTest, FormatsAreToldApartByContentNotByName) {
  // The embedded safetensors model under a name that says TorchScript, and the
  // TorchScript file under a name that says safetensors.
  const std::string safetensors = TempFile("model.pt", std::string(embedded::DefaultMnistModel()));
  std::ifstream in(kScripted, std::ios::binary);
  const std::string scripted_bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(scripted_bytes.empty());
  const std::string scripted = TempFile("model.safetensors", scripted_bytes);
  EXPECT_EQ(*DetectModelFormat(safetensors), ModelFormat::kSafetensors);
  EXPECT_EQ(*DetectModelFormat(scripted), ModelFormat::kTorchScript);

  absl::StatusOr<LoadedClassifier> cnn = LoadClassifierFile(safetensors, 10, c10::kCPU);
  ASSERT_TRUE(cnn.ok()) << cnn.status();
  EXPECT_EQ(cnn->classifier->num_classes(), 10);
  EXPECT_EQ(cnn->metadata["sigma"], 0.25);
  absl::StatusOr<LoadedClassifier> module = LoadClassifierFile(scripted, 2, c10::kCPU);
  ASSERT_TRUE(module.ok()) << module.status();
  absl::StatusOr<at::Tensor> logits = module->classifier->Logits(at::full({3, 1, 4, 4}, 0.9));
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(logits->argmax(1).sum().item<int64_t>(), 3);  // mean 0.9 > 0.5: class 1
}

TEST(ModelFileTest, BadFilesGetOneClearError) {
  EXPECT_EQ(DetectModelFormat("/nonexistent/model").status().code(), absl::StatusCode::kNotFound);
  const absl::Status text = DetectModelFormat(TempFile("text", "hello, world")).status();
  EXPECT_EQ(text.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(text.message().find("neither a safetensors model nor a TorchScript module"), std::string::npos);
  EXPECT_NE(text.message().find("68656c6c6f"), std::string::npos);  // "hello" in hex
  EXPECT_NE(DetectModelFormat(TempFile("empty", "")).status().message().find("empty file"),
            std::string::npos);
  // A zip that is not TorchScript: the loader's error, not a crash.
  const absl::StatusOr<LoadedClassifier> zip =
      LoadClassifierFile(TempFile("fake.pt", std::string("PK\x03\x04garbage", 11)), 10, c10::kCPU);
  EXPECT_EQ(zip.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadClassifierFile(kScripted, 1, c10::kCPU).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParsePrecision("fp16").ok());
}

// bf16 autocast on the MNIST model: the smoothed prediction agrees with fp32
// on every digit and the counts move by at most a few samples in a thousand.
TEST(ModelFileTest, Bf16ForwardAgreesWithFp32OnMnist) {
  absl::StatusOr<tensor::ImageDataset> test = tensor::LoadImageDataset("mnist", tensor::Split::kTest, 2000);
  ASSERT_TRUE(test.ok()) << test.status();
  absl::StatusOr<LoadedClassifier> model = LoadClassifierFile("", 10, c10::kCPU);
  ASSERT_TRUE(model.ok());
  SmoothingOptions fp32;
  fp32.sigma = 0.25;
  fp32.seed = 3;
  fp32.batch_size = 500;
  SmoothingOptions bf16 = fp32;
  bf16.precision = Precision::kBf16;
  int64_t moved = 0, total = 0;
  for (int64_t i = 0; i < 20; ++i) {
    const at::Tensor x = test->images[i * 97];
    const auto a = SampleCounts(*model->classifier, x, 1000, fp32, i, SamplePhase::kEstimation);
    const auto b = SampleCounts(*model->classifier, x, 1000, bf16, i, SamplePhase::kEstimation);
    ASSERT_TRUE(a.ok() && b.ok());
    const int64_t top_a = std::max_element(a->begin(), a->end()) - a->begin();
    const int64_t top_b = std::max_element(b->begin(), b->end()) - b->begin();
    EXPECT_EQ(top_a, top_b) << "digit " << i * 97;
    for (size_t c = 0; c < a->size(); ++c) moved += std::abs((*a)[c] - (*b)[c]);
    total += 1000;
  }
  EXPECT_LE(moved, total / 100) << moved << " of " << total << " predictions moved";  // ≤ 1%
  // And autocast is off again afterwards: fp32 runs give fp32 counts.
  const auto again =
      SampleCounts(*model->classifier, test->images[0], 1000, fp32, 0, SamplePhase::kEstimation);
  const auto first =
      SampleCounts(*model->classifier, test->images[0], 1000, fp32, 0, SamplePhase::kEstimation);
  EXPECT_EQ(*again, *first);
}

}  // namespace
}  // namespace warden::smoothing
