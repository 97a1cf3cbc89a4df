// The MNIST CNN's checkpoint format and a certification run on real MNIST with
// the embedded default model.
#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <tuple>

#include "absl/strings/str_replace.h"
#include "components/smoothing/certify_run.h"
#include "components/smoothing/default_model.h"
#include "components/smoothing/mnist_cnn.h"
#include "components/tensor/checkpoint.h"

namespace warden::smoothing {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) { return std::string(std::getenv("TEST_TMPDIR")) + "/" + name; }

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
    classifier_ =
        WrapForward([this](const at::Tensor& x) { return model_->forward(x); }, 10, c10::Device(c10::kCPU));
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

// Three shards, merged, give the one-process TSV byte for byte (--notime), in
// fixed-n and sequential modes; the merge refuses overlaps and mixed files.
TEST_F(CertifyRunTest, ThreeShardsMergeToTheOneProcessTsv) {
  CertifyRunConfig config;
  config.limit = 7;
  config.skip = 700;
  config.smoothing.sigma = 0.5;  // not every count saturates: seeds matter
  config.smoothing.n = 300;
  config.smoothing.seed = 9;
  for (bool sequential : {false, true}) {
    if (sequential)
      config.sequential = SequentialOptions{.mode = SequentialOptions::Mode::kAdaptive, .first = 100};
    config.shard = {};
    absl::StatusOr<std::vector<CertifyRow>> whole = RunCertification(*classifier_, config);
    ASSERT_TRUE(whole.ok()) << whole.status();
    std::vector<std::string> shards;
    for (int64_t k : {2, 0, 1}) {  // any order
      config.shard = {k, 3};
      std::vector<int64_t> progress;
      absl::StatusOr<std::vector<CertifyRow>> part =
          RunCertification(*classifier_, config, [&](int64_t done, int64_t total, const CertifyRow&) {
            progress.push_back(done);
            EXPECT_EQ(total, config.shard.OwnedOf(7));
          });
      ASSERT_TRUE(part.ok()) << part.status();
      ASSERT_EQ(static_cast<int64_t>(part->size()), config.shard.OwnedOf(7));
      EXPECT_EQ(progress.back(), static_cast<int64_t>(part->size()));
      for (const CertifyRow& row : *part) EXPECT_EQ(row.index / 700 % 3, k);
      shards.push_back(CertifyTsv(*part, false, sequential));
    }
    absl::StatusOr<MergedCertification> merged = MergeCertifyTsvs(shards);
    ASSERT_TRUE(merged.ok()) << merged.status();
    EXPECT_EQ(merged->Tsv(), CertifyTsv(*whole, false, sequential));
    // Timed shards merge into a timed file that equals the one-process rows.
    absl::StatusOr<MergedCertification> timed = MergeCertifyTsvs({CertifyTsv(*whole, true, sequential)});
    ASSERT_TRUE(timed.ok());
    EXPECT_EQ(timed->Tsv(), CertifyTsv(*whole, true, sequential));
    // Overlaps, mixed columns and mixed time styles are refused.
    EXPECT_THAT(MergeCertifyTsvs({shards[0], shards[0]}).status().message(), HasSubstr("in two files"));
    EXPECT_FALSE(MergeCertifyTsvs({shards[0], CertifyTsv(*whole, false, !sequential)}).ok());
    EXPECT_THAT(MergeCertifyTsvs({shards[0], CertifyTsv(*whole, true, sequential)}).status().message(),
                HasSubstr("file 2"));
    EXPECT_THAT(MergeCertifyTsvs({shards[0], "garbage\n"}, {"a.tsv", "b.tsv"}).status().message(),
                HasSubstr("b.tsv: "));
    EXPECT_FALSE(MergeCertifyTsvs({shards[0], "garbage\n"}).ok());
  }
  EXPECT_FALSE(MergeCertifyTsvs({}).ok());
  config.shard = {3, 3};
  EXPECT_EQ(RunCertification(*classifier_, config).status().code(), absl::StatusCode::kInvalidArgument);
}

// The sequential modes on real digits: deterministic under a seed, within the
// budget, and exactly what replaying a fixed-n run's trace says they would do
// (their draws are a prefix of fixed-n's). Digit 900 (a "1") is a close call:
// its top class holds ~44% of the noisy samples.
TEST_F(CertifyRunTest, SequentialModesMatchTheReplayOfAFixedRun) {
  CertifyRunConfig config;
  config.limit = 4;
  config.skip = 900;
  config.smoothing.sigma = 0.25;
  config.smoothing.n = 2000;
  config.smoothing.batch_size = 500;
  config.smoothing.seed = 4;
  config.trace_first = 500;
  absl::StatusOr<std::vector<CertifyRow>> fixed = RunCertification(*classifier_, config);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  config.trace_first = 0;
  absl::StatusOr<std::vector<CertifyRow>> untraced = RunCertification(*classifier_, config);
  ASSERT_TRUE(untraced.ok());
  EXPECT_EQ(CertifyTsv(*fixed, false), CertifyTsv(*untraced, false));  // tracing draws the same samples
  config.trace_first = 500;
  // The trace survives its text form.
  absl::StatusOr<Trace> trace = ParseTraceTsv(TraceTsv(MakeTrace(config, *fixed)));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ((*trace).rows[1].trace.size(), 3u);  // checkpoints 500, 1000, 2000
  EXPECT_EQ((*trace).rows[1].trace.back() > 0, true);
  config.trace_first = 0;
  for (auto [mode, radius, tolerance] : {std::tuple{SequentialOptions::Mode::kRadius, 0.5, 0.0},
                                         std::tuple{SequentialOptions::Mode::kAdaptive, 0.0, 0.05},
                                         std::tuple{SequentialOptions::Mode::kAdaptive, 0.0, 0.1}}) {
    SequentialOptions sequential;
    sequential.mode = mode;
    sequential.radius = radius;
    sequential.tolerance = tolerance;
    sequential.first = 500;
    config.sequential = sequential;
    absl::StatusOr<std::vector<CertifyRow>> live = RunCertification(*classifier_, config);
    absl::StatusOr<std::vector<CertifyRow>> replayed = ReplaySequential(*trace, sequential);
    ASSERT_TRUE(live.ok() && replayed.ok()) << live.status() << replayed.status();
    EXPECT_EQ(CertifyTsv(*live, false, true), CertifyTsv(*replayed, false, true));
    for (size_t i = 0; i < live->size(); ++i) {
      EXPECT_LE((*live)[i].samples, 100 + 2000);
      // Nothing certifies a class fixed-n does not pick, or a radius fixed-n does
      // not support (adaptive bounds are at alpha / 2 or less, on a prefix).
      if ((*live)[i].predicted != kAbstain) {
        EXPECT_EQ((*live)[i].predicted, (*fixed)[i].predicted);
        EXPECT_LE((*live)[i].radius, (*fixed)[i].radius);
      }
    }
  }
  // The close call is not certified at 0.5; the three clear digits stop at 500.
  SequentialOptions at_half;
  at_half.mode = SequentialOptions::Mode::kRadius;
  at_half.radius = 0.5;
  absl::StatusOr<std::vector<CertifyRow>> decided = ReplaySequential(*trace, at_half);
  ASSERT_TRUE(decided.ok());
  EXPECT_EQ((*decided)[1].predicted, kAbstain);
  EXPECT_EQ((*decided)[0].samples, 600);
  // Fixed-n and sequential settings do not mix, and a trace is checked.
  config.trace_first = 500;
  EXPECT_FALSE(RunCertification(*classifier_, config).ok());
  EXPECT_FALSE(ParseTraceTsv("# sigma=0.25\n").ok());
  const std::string text = TraceTsv(*trace);
  EXPECT_THAT(ParseTraceTsv(text + "5\t1\t1\t400\t300\t1500\n").status().message(), HasSubstr("line 7"));
  EXPECT_FALSE(ParseTraceTsv(text + "5\t1\t1\t501\t502\t503\n").ok());  // more than 500 of 500
  EXPECT_FALSE(ParseTraceTsv(absl::StrReplaceAll(text, {{"k@1000", "k@1500"}})).ok());
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
  // With the samples column (the sequential modes).
  std::vector<CertifyRow> sequential = rows;
  sequential[0].samples = 1100;
  sequential[1].samples = 8100;
  const std::string text = CertifyTsv(sequential, true, true);
  EXPECT_THAT(text, ::testing::StartsWith("idx\tlabel\tpredict\tradius\tcorrect\tsamples\ttime\n"));
  absl::StatusOr<std::vector<CertifyRow>> with_samples = ParseCertifyTsv(text);
  ASSERT_TRUE(with_samples.ok()) << with_samples.status();
  EXPECT_EQ((*with_samples)[1].samples, 8100);
  EXPECT_EQ(CertifyTsv(*with_samples, true, true), text);
  EXPECT_FALSE(ParseCertifyTsv(CertifyTsv({}, true, true) + "1\t2\t3\t0.5\t1\t-\n").ok());
  EXPECT_FALSE(ParseCertifyTsv(CertifyTsv({}, true, true) + "1\t2\t3\t0.5\t1\t-5\t-\n").ok());
}

TEST_F(CertifyRunTest, RejectsBadConfigs) {
  CertifyRunConfig config;
  config.limit = 0;
  EXPECT_EQ(RunCertification(*classifier_, config).status().code(), absl::StatusCode::kInvalidArgument);
  config.limit = 1;
  config.dataset = "cifar10";
  EXPECT_EQ(RunCertification(*classifier_, config).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden::smoothing
