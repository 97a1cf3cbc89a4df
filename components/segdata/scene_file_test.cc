// Scene files: a round trip is bit-exact, and every malformed file (not
// safetensors, missing or extra tensors, wrong dtype or shape, pixels outside
// [0, 1] or NaN, labels outside the label set) is refused with an error that
// names the problem; an invalid set is never written.
#include "components/segdata/scene_file.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "components/status/status_matchers.h"
#include "components/tensor/safetensors_torch.h"

namespace warden::segdata {
namespace {

using ::testing::HasSubstr;
using ::warden::testing::StatusIs;

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / (std::to_string(::getpid()) + "_" + name)).string();
}

SceneSet SmallSet() {
  at::manual_seed(3);
  SceneSet set;
  set.source = "mnist";
  set.images = at::rand({3, 1, 8, 8});
  set.masks = at::randint(0, kClasses, {3, 8, 8}, at::kLong);
  set.masks[0][0][0] = kIgnoreLabel;
  return set;
}

absl::Status LoadWith(const std::string& name, const tensor::NamedTensors& tensors) {
  const std::string path = TempPath(name);
  if (absl::Status s = tensor::SaveSafetensors(path, tensors); !s.ok()) return s;
  return LoadSceneFile(path).status();
}

void ExpectRoundTrip(const SceneSet& set, const std::string& name) {
  const std::string path = TempPath(name);
  ASSERT_OK(SaveSceneFile(path, set));
  ASSERT_OK_AND_ASSIGN(const SceneSet back, LoadSceneFile(path));
  EXPECT_EQ(back.source, set.source);
  EXPECT_TRUE(back.images.equal(set.images));
  EXPECT_TRUE(back.masks.equal(set.masks));
}

TEST(SceneFileTest, RoundTripIsExact) { ExpectRoundTrip(SmallSet(), "round.safetensors"); }

TEST(SceneFileTest, RealScenesRoundTrip) {
  ASSERT_OK_AND_ASSIGN(const SceneSet set, LoadScenes("fashion-mnist", tensor::Split::kTest, 4, {}));
  ASSERT_EQ(set.source, "fashion-mnist");
  ExpectRoundTrip(set, "real.safetensors");
}

TEST(SceneFileTest, RefusesMalformedFiles) {
  const SceneSet set = SmallSet();
  const at::Tensor im = set.images, m = set.masks;
  EXPECT_THAT(LoadWith("no_masks", {{"images", im}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs tensors 'images' and 'masks'")));
  EXPECT_THAT(LoadWith("extra", {{"images", im}, {"masks", m}, {"logits", im}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unexpected tensor 'logits'")));
  EXPECT_THAT(LoadWith("double", {{"images", im.to(at::kDouble)}, {"masks", m}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("float32 N x 1 x S x S")));
  EXPECT_THAT(LoadWith("rank3", {{"images", im.squeeze(1)}, {"masks", m}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[3, 8, 8]")));
  EXPECT_THAT(LoadWith("rgb", {{"images", im.expand({3, 3, 8, 8}).contiguous()}, {"masks", m}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("N x 1 x S x S")));
  EXPECT_THAT(LoadWith("oblong", {{"images", im.slice(3, 0, 6).contiguous()}, {"masks", m.slice(2, 0, 6)}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("square")));
  EXPECT_THAT(LoadWith("mask_size", {{"images", im}, {"masks", m.slice(0, 0, 2).contiguous()}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("masks must be int64")));
  EXPECT_THAT(LoadWith("mask_dtype", {{"images", im}, {"masks", m.to(at::kInt)}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("masks must be int64")));
  EXPECT_THAT(LoadWith("bright", {{"images", im + 0.5}, {"masks", m}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[0, 1]")));
  at::Tensor nan = im.clone();
  nan[1][0][2][2] = NAN;
  EXPECT_THAT(LoadWith("nan", {{"images", nan}, {"masks", m}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NaN")));
  at::Tensor label = m.clone();
  label[2][1][1] = 42;
  EXPECT_THAT(LoadWith("label", {{"images", im}, {"masks", label}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mask label 42")));
  EXPECT_THAT(LoadWith("empty", {{"images", im.slice(0, 0, 0)}, {"masks", m.slice(0, 0, 0)}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  const std::string junk = TempPath("junk.safetensors");
  std::ofstream(junk) << "not a safetensors file";
  EXPECT_FALSE(LoadSceneFile(junk).ok());
  EXPECT_FALSE(LoadSceneFile(TempPath("missing.safetensors")).ok());
}

TEST(SceneFileTest, InvalidSetIsNotWritten) {
  SceneSet set = SmallSet();
  set.images = set.images * 2;
  const std::string path = TempPath("invalid.safetensors");
  EXPECT_THAT(SaveSceneFile(path, set),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not writing")));
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace warden::segdata
