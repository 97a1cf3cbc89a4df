#include "tools/cli/output.h"

#include "gtest/gtest.h"

namespace warden::cli {
namespace {

TEST(OutputStemTest, StripsOneOfTheVerbsExtensions) {
  EXPECT_EQ(OutputStem("/tmp/c.tsv", {".tsv", ".svg"}), "/tmp/c");
  EXPECT_EQ(OutputStem("/tmp/c.svg", {".tsv", ".svg"}), "/tmp/c");
  EXPECT_EQ(OutputStem("/tmp/c", {".tsv", ".svg"}), "/tmp/c");            // a prefix
  EXPECT_EQ(OutputStem("/tmp/c.json", {".tsv", ".svg"}), "/tmp/c.json");  // not the verb's kind
  EXPECT_EQ(OutputStem("m.safetensors", {".safetensors"}), "m");
  EXPECT_EQ(OutputStem("dir/.tsv", {".tsv"}), "dir/.tsv");  // no name left
}

}  // namespace
}  // namespace warden::cli
