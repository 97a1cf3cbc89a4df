// Reads the real prompt lists, SOTU speeches and unsafe terms tools/setup installs.
#include "components/tensor/text_datasets.h"

#include <algorithm>
#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "components/tensor/data_dir.h"

namespace warden::tensor {
namespace {

using ::testing::Contains;

TEST(TextDatasetsTest, PromptLists) {
  absl::StatusOr<std::vector<std::string>> celebs = LoadPromptList("people/celebrity");
  ASSERT_TRUE(celebs.ok()) << celebs.status();
  EXPECT_GT(celebs->size(), 600u);
  EXPECT_EQ(celebs->front(), "adam sandler");
  EXPECT_THAT(*celebs, Contains("al pacino"));
  absl::StatusOr<std::vector<std::string>> parti = LoadPromptList("set/parti");
  ASSERT_TRUE(parti.ok());
  EXPECT_GT(parti->size(), 1500u);
  EXPECT_EQ(parti->front(), "bond");  // the front matter's description is skipped
  EXPECT_EQ(LoadPromptList("people/nobody").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadPromptList("../../etc/passwd").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TextDatasetsTest, SotuAndUnsafeTerms) {
  absl::StatusOr<std::vector<std::string>> sentences = LoadSotuSentences();
  ASSERT_TRUE(sentences.ok()) << sentences.status();
  EXPECT_GT(sentences->size(), 50000u);
  EXPECT_TRUE(std::all_of(sentences->begin(), sentences->end(),
                          [](const std::string& s) { return s.size() >= 20 && s.size() <= 300; }));
  absl::StatusOr<std::vector<std::string>> terms = LoadUnsafeTerms();
  ASSERT_TRUE(terms.ok()) << terms.status();
  EXPECT_EQ(terms->size(), 403u);
  SetDataDirOverride(std::string(std::getenv("TEST_TMPDIR")) + "/none");
  EXPECT_EQ(LoadSotuSentences().status().code(), absl::StatusCode::kNotFound);
  SetDataDirOverride("");
}

}  // namespace
}  // namespace warden::tensor
