#include "components/clip/default_encoder.h"

#include "gtest/gtest.h"

namespace warden::clip {
namespace {

TEST(DefaultEncoderTest, EmptyPathLoadsTheCommittedEncoder) {
  absl::StatusOr<ClipTextModel> model = LoadTextEncoder("");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_GT((*model)->config().num_hidden_layers, 0);
  EXPECT_EQ((*model)->config().vocab_size, 49408);  // CLIP's BPE vocabulary
}

TEST(DefaultEncoderTest, AMissingFolderIsAnErrorNotTheDefault) {
  absl::StatusOr<ClipTextModel> model = LoadTextEncoder("/nonexistent/text_encoder");
  EXPECT_FALSE(model.ok());
}

}  // namespace
}  // namespace warden::clip
