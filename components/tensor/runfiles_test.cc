#include "components/tensor/runfiles.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace warden::tensor {
namespace {

TEST(RunfilesTest, FindsADataDependencyByItsWorkspacePath) {
  const std::string path = FindRunfile("components/tensor/testdata/runfile.txt");
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(path[0], '/');
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "a file shipped to tests as a runfile");
}

TEST(RunfilesTest, MissingFileIsEmpty) {
  EXPECT_EQ(FindRunfile("components/tensor/testdata/no-such-file"), "");
}

}  // namespace
}  // namespace warden::tensor
