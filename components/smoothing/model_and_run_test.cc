// The MNIST CNN's checkpoint format and a certification run on real MNIST with
// the embedded default model.
#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "components/smoothing/certify_run.h"
#include "components/smoothing/default_model.h"
#include "components/smoothing/mnist_cnn.h"
#include "components/tensor/checkpoint.h"

namespace warden::smoothing {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(MnistCnnTest, SaveLoadRoundTripGivesIdenticalOutputs) {
  torch::manual_seed(1);
  MnistCnn a;
  const std::string path = TempPath("cnn.safetensors");
  ASSERT_TRUE(SaveMnistCnn(a, MnistCnnMetadata("mnist", 0.5), path).ok());
  MnistCnn b;
  nlohmann::json metadata;
  ASSERT_TRUE(LoadMnistCnn(path, b, &metadata).ok());
  EXPECT_EQ(metadata["sigma"], 0.5);
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::rand({3, 1, 28, 28});
  EXPECT_TRUE(at::equal(a->forward(x), b->forward(x)));
}

TEST(MnistCnnTest, MismatchedFilesAreRejected) {
  tensor::Checkpoint wrong;
  wrong.tensors = {{"conv1.weight", at::zeros({16, 1, 3, 3})}};
  const std::string path = TempPath("wrong.safetensors");
  ASSERT_TRUE(tensor::SaveCheckpoint(path, wrong).ok());
  MnistCnn model;
  absl::Status status = LoadMnistCnn(path, model, nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("conv1.weight"));
  EXPECT_THAT(status.message(), HasSubstr("expected F32 [16, 1, 5, 5]"));
}

class CertifyRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<tensor::SafetensorsFile> file =
        tensor::SafetensorsFile::FromBytes(std::string(embedded::DefaultMnistModel()));
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE(LoadMnistCnnFromFile(*file, model_, &metadata_).ok());
    model_->eval();
    classifier_ = WrapForward([this](const at::Tensor& x) { return model_->forward(x); }, 10,
                              c10::Device(c10::kCPU));
  }
  MnistCnn model_;
  nlohmann::json metadata_;
  std::unique_ptr<BaseClassifier> classifier_;
};

TEST_F(CertifyRunTest, EmbeddedModelCertifiesMnistDeterministically) {
  EXPECT_EQ(metadata_["sigma"], 0.25);
  CertifyRunConfig config;
  config.limit = 12;
  config.skip = 500;
  config.smoothing.sigma = 0.25;
  config.smoothing.n = 1000;
  config.smoothing.seed = 4;
  absl::StatusOr<std::vector<CertifyRow>> a = RunCertification(*classifier_, config);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->size(), 12u);
  EXPECT_EQ((*a)[1].index, 500);
  // A noise-trained CNN certifies nearly all of these digits at radius 0.
  const std::vector<double> accuracy = CertifiedAccuracy(*a, kReportRadii);
  EXPECT_GE(accuracy[0], 10.0 / 12);
  EXPECT_GE(accuracy[0], accuracy[2]);  // monotone in the radius
  EXPECT_EQ(accuracy.back(), 0.0);      // n = 1000 cannot certify radius 2
  absl::StatusOr<std::vector<CertifyRow>> b = RunCertification(*classifier_, config);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(CertifyTsv(*a, false), CertifyTsv(*b, false));  // same seed, same file
  config.smoothing.seed = 5;
  absl::StatusOr<std::vector<CertifyRow>> c = RunCertification(*classifier_, config);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(CertifyTsv(*a, false), CertifyTsv(*c, false));  // other noise, other radii

  const std::string prefix = TempPath("run");
  ASSERT_TRUE(WriteCertifyOutputs(prefix, *a, "test", false).ok());
  std::ifstream tsv(prefix + ".tsv");
  std::string header;
  std::getline(tsv, header);
  EXPECT_EQ(header, "idx\tlabel\tpredict\tradius\tcorrect\ttime");
  std::ifstream svg(prefix + ".svg");
  EXPECT_TRUE(svg.good());
  EXPECT_THAT(AccuracyTable(*a), HasSubstr("certified accuracy over 12 inputs"));
}

TEST(CertifyTsvTest, ParsesWhatItWritesAndRejectsGarbage) {
  const std::vector<CertifyRow> rows = {{0, 7, 7, 0.5, true, 1.25}, {20, 3, -1, 0.0, false, 0.5}};
  absl::StatusOr<std::vector<CertifyRow>> parsed = ParseCertifyTsv(CertifyTsv(rows));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[1].predicted, -1);
  EXPECT_EQ((*parsed)[0].radius, 0.5);
  EXPECT_EQ(CertifyTsv(*parsed), CertifyTsv(rows));
  EXPECT_TRUE(ParseCertifyTsv(CertifyTsv(rows, false)).ok());
  EXPECT_FALSE(ParseCertifyTsv("").ok());
  EXPECT_FALSE(ParseCertifyTsv("a\tb\n").ok());
  EXPECT_THAT(ParseCertifyTsv(CertifyTsv({}) + "1\t2\t3\t-0.5\t1\t-\n").status().message(),
              HasSubstr("line 2"));
  EXPECT_FALSE(ParseCertifyTsv(CertifyTsv({}) + "1\t2\t3\t0.5\t7\t-\n").ok());
}

TEST_F(CertifyRunTest, RejectsBadConfigs) {
  CertifyRunConfig config;
  config.limit = 0;
  EXPECT_EQ(RunCertification(*classifier_, config).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.limit = 1;
  config.dataset = "cifar10";
  EXPECT_EQ(RunCertification(*classifier_, config).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden::smoothing
