#include "components/tensor/checkpoint.h"

#include <ATen/ATen.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warden::tensor {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(CheckpointTest, RoundTripsTensorsAndJsonMetadata) {
  Checkpoint checkpoint;
  checkpoint.tensors = {{"layer.weight", at::randn({4, 3})}, {"step", at::tensor({17}, at::kLong)}};
  checkpoint.metadata = {{"step", 17}, {"config", {{"lr", 0.001}, {"layers", {1, 2}}}}};
  const std::string path = TempPath("roundtrip.ckpt");
  ASSERT_TRUE(SaveCheckpoint(path, checkpoint).ok());
  absl::StatusOr<Checkpoint> loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->metadata, checkpoint.metadata);
  ASSERT_EQ(loaded->tensors.size(), 2u);
  EXPECT_TRUE(at::equal(loaded->tensors[0].second, checkpoint.tensors[0].second));
  EXPECT_EQ(loaded->tensors[1].second.item<int64_t>(), 17);
}

TEST(CheckpointTest, PlainSafetensorsIsNotACheckpoint) {
  const std::string path = TempPath("plain.safetensors");
  ASSERT_TRUE(SaveSafetensors(path, {{"w", at::ones({2})}}).ok());
  absl::StatusOr<Checkpoint> loaded = LoadCheckpoint(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("not a Warden checkpoint"));
  EXPECT_EQ(LoadCheckpoint(TempPath("nope.ckpt")).status().code(), absl::StatusCode::kNotFound);
}

// A child process starts overwriting a checkpoint with a large one and is
// SIGKILLed after its first write(2): the old checkpoint must still load intact.
TEST(CheckpointTest, SaveKilledMidWriteLeavesPreviousCheckpointReadable) {
  const std::string path = TempPath("killed.ckpt");
  Checkpoint old_checkpoint;
  old_checkpoint.tensors = {{"w", at::arange(100, at::kFloat)}};
  old_checkpoint.metadata = {{"step", 1}};
  ASSERT_TRUE(SaveCheckpoint(path, old_checkpoint).ok());

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    Checkpoint big;
    big.tensors = {{"w", at::zeros({64 << 20}, at::kFloat)}};  // 256 MiB: several writes
    big.metadata = {{"step", 2}};
    AtomicWriteOptions options;
    options.progress = [&](size_t written, size_t total) {
      if (written < total) {
        char byte = 1;
        (void)!write(pipe_fds[1], &byte, 1);
        pause();  // wait here, mid-write, for the SIGKILL
      }
    };
    (void)SaveCheckpoint(path, big, options);
    _exit(0);
  }
  close(pipe_fds[1]);
  char byte = 0;
  ASSERT_EQ(read(pipe_fds[0], &byte, 1), 1) << "child never started writing";
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  close(pipe_fds[0]);

  absl::StatusOr<Checkpoint> loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->metadata["step"], 1);
  EXPECT_TRUE(at::equal(loaded->tensors[0].second, old_checkpoint.tensors[0].second));
}

}  // namespace
}  // namespace warden::tensor
