#include "components/tensor/data_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace warden::tensor {
namespace {

using ::testing::HasSubstr;

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::string(std::getenv("TEST_TMPDIR")) + "/data";
    ASSERT_EQ(std::system(("mkdir -p " + root_ + "/mnist").c_str()), 0);
  }
  void TearDown() override { SetDataDirOverride(""); }
  std::string root_;
};

TEST_F(DataDirTest, PrecedenceOverrideThenEnvThenXdgThenHome) {
  ::setenv("HOME", "/home/someone", 1);
  ::unsetenv("XDG_DATA_HOME");
  ::unsetenv("WARDEN_DATA_DIR");
  EXPECT_EQ(DataDir(), "/home/someone/.local/share/warden");
  ::setenv("XDG_DATA_HOME", "/xdg", 1);
  EXPECT_EQ(DataDir(), "/xdg/warden");
  ::setenv("WARDEN_DATA_DIR", "/env/data", 1);
  EXPECT_EQ(DataDir(), "/env/data");
  SetDataDirOverride("/flag/data");
  EXPECT_EQ(DataDir(), "/flag/data");
  SetDataDirOverride("");
  EXPECT_EQ(DataDir(), "/env/data");
}

TEST_F(DataDirTest, MissingFileTellsUserToRunSetup) {
  SetDataDirOverride(root_);
  absl::StatusOr<std::string> path = DataFile("mnist/train-images-idx3-ubyte");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(path.status().message(), HasSubstr("/setup"));
  EXPECT_THAT(path.status().message(), HasSubstr(root_));

  absl::StatusOr<Dataset> mnist = FindDataset("mnist");
  ASSERT_TRUE(mnist.ok());
  absl::Status check = CheckDataset(*mnist);
  EXPECT_EQ(check.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(check.message(), HasSubstr("data set mnist"));
}

TEST_F(DataDirTest, FindsPresentFilesAndRejectsDirectories) {
  SetDataDirOverride(root_);
  std::ofstream(root_ + "/mnist/train-images-idx3-ubyte") << "x";
  absl::StatusOr<std::string> path = DataFile("mnist/train-images-idx3-ubyte");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, root_ + "/mnist/train-images-idx3-ubyte");
  EXPECT_FALSE(DataFile("mnist").ok());  // a directory is not a data file
}

TEST_F(DataDirTest, UnknownDatasetListsKnownNames) {
  absl::StatusOr<Dataset> d = FindDataset("cifar10");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("mnist"));
  EXPECT_THAT(d.status().message(), HasSubstr("fashion-mnist"));
}

}  // namespace
}  // namespace warden::tensor
