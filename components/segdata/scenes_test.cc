// Scenes from the real MNIST and Fashion-MNIST glyphs (tools/setup's data):
// shapes and ranges, labels that agree with the pixels, the ignore ring,
// reproducibility by (seed, split, index), the overlap bound on a synthetic
// glyph, the picture, and bad options.
#include "components/segdata/scenes.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "components/plot/png.h"
#include "components/status/status_matchers.h"

namespace warden::segdata {
namespace {

using tensor::Split;

TEST(ScenesTest, RealDigitScenesHaveConsistentMasks) {
  ASSERT_OK_AND_ASSIGN(const SceneSet set, LoadScenes("mnist", Split::kTest, 60, {}));
  ASSERT_EQ(set.images.sizes(), (at::IntArrayRef{60, 1, 48, 48}));
  ASSERT_EQ(set.masks.sizes(), (at::IntArrayRef{60, 48, 48}));
  EXPECT_GE(set.images.min().item<float>(), 0.f);
  EXPECT_LE(set.images.max().item<float>(), 1.f);
  const at::Tensor m = set.masks, im = set.images.squeeze(1);
  EXPECT_TRUE((((m >= 0) & (m < kClasses)) | (m == kIgnoreLabel)).all().item<bool>());
  // Foreground is bright, background dark (texture std 0.05).
  const at::Tensor fg = (m > 0) & (m != kIgnoreLabel), bg = m == 0;
  EXPECT_GT(im.index({fg}).mean().item<double>(), 0.7);
  EXPECT_LT(im.index({bg}).mean().item<double>(), 0.1);
  // 2-4 glyphs a scene: at least one and at most four classes each, about three on average.
  double classes = 0;
  for (int64_t i = 0; i < 60; ++i) {
    std::set<int64_t> seen;
    const at::Tensor labels = std::get<0>(at::_unique(m[i].reshape({-1})));
    for (int64_t k = 0; k < labels.numel(); ++k) {
      const int64_t l = labels[k].item<int64_t>();
      if (l != 0 && l != kIgnoreLabel) seen.insert(l);
    }
    EXPECT_GE(seen.size(), 1u);
    EXPECT_LE(seen.size(), 4u);
    classes += static_cast<double>(seen.size());
  }
  EXPECT_GT(classes / 60, 1.8);
  // Every ignored pixel touches foreground; no foreground pixel touches background.
  const at::Tensor pad = at::constant_pad_nd(fg.to(at::kInt), {1, 1, 1, 1});
  const at::Tensor fg_near = (pad.slice(1, 0, 48).slice(2, 1, 49) + pad.slice(1, 2, 50).slice(2, 1, 49) +
                              pad.slice(1, 1, 49).slice(2, 0, 48) + pad.slice(1, 1, 49).slice(2, 2, 50)) > 0;
  EXPECT_TRUE(fg_near.index({m == kIgnoreLabel}).all().item<bool>());
  EXPECT_FALSE(fg_near.index({bg}).any().item<bool>());
  EXPECT_GT((m == kIgnoreLabel).sum().item<int64_t>(), 0);
  // Frequencies: a distribution, background the largest class.
  const at::Tensor f = ClassFrequencies(m);
  EXPECT_NEAR(f.sum().item<double>(), 1.0, 1e-9);
  EXPECT_EQ(f.argmax().item<int64_t>(), 0);
}

TEST(ScenesTest, FashionMnistGivesAllTenClasses) {
  ASSERT_OK_AND_ASSIGN(const SceneSet set, LoadScenes("fashion-mnist", Split::kTrain, 100, {}));
  EXPECT_EQ(set.source, "fashion-mnist");
  const at::Tensor f = ClassFrequencies(set.masks);
  for (int64_t c = 1; c < kClasses; ++c) EXPECT_GT(f[c].item<double>(), 0) << "class " << c;
}

TEST(ScenesTest, EachSceneDependsOnlyOnSeedSplitAndIndex) {
  ASSERT_OK_AND_ASSIGN(const tensor::ImageDataset glyphs,
                       tensor::LoadImageDataset("mnist", Split::kTest, 500));
  ASSERT_OK_AND_ASSIGN(const SceneSet a, MakeScenes(glyphs, Split::kTest, 20, {}));
  ASSERT_OK_AND_ASSIGN(const SceneSet b, MakeScenes(glyphs, Split::kTest, 8, {}));
  EXPECT_TRUE(at::equal(a.images.slice(0, 0, 8), b.images));
  EXPECT_TRUE(at::equal(a.masks.slice(0, 0, 8), b.masks));
  SceneOptions other;
  other.seed = 1;
  ASSERT_OK_AND_ASSIGN(const SceneSet c, MakeScenes(glyphs, Split::kTest, 8, other));
  EXPECT_FALSE(at::equal(c.masks, b.masks));
  ASSERT_OK_AND_ASSIGN(const SceneSet d, MakeScenes(glyphs, Split::kTrain, 8, {}));
  EXPECT_FALSE(at::equal(d.masks, b.masks));
}

// One 28×28 glyph holding a 10×10 square, on a 28×28 canvas: every placement
// is at the same spot, so every second glyph overlaps the first completely.
tensor::ImageDataset Square() {
  tensor::ImageDataset g;
  g.name = "square";
  g.images = at::zeros({1, 1, 28, 28});
  g.images.index_put_({0, 0, at::indexing::Slice(9, 19), at::indexing::Slice(9, 19)}, 1.0);
  g.labels = at::full({1}, 3, at::kLong);
  g.num_classes = 10;
  return g;
}

TEST(ScenesTest, OverlapIsBounded) {
  SceneOptions o;
  o.size = 28;
  o.texture_std = 0;
  ASSERT_OK_AND_ASSIGN(const SceneSet strict, MakeScenes(Square(), Split::kTest, 3, o));
  // One square only (the second would overlap 100% > 20%), labelled 3 + 1.
  EXPECT_EQ((strict.masks == 4).sum().item<int64_t>(), 3 * 100);
  EXPECT_EQ((strict.masks == kIgnoreLabel).sum().item<int64_t>(), 3 * 40);
  EXPECT_DOUBLE_EQ(strict.images.sum().item<double>(), 3 * 100.0);
  o.ignore_ring = false;
  ASSERT_OK_AND_ASSIGN(const SceneSet plain, MakeScenes(Square(), Split::kTest, 3, o));
  EXPECT_EQ((plain.masks == kIgnoreLabel).sum().item<int64_t>(), 0);
}

TEST(ScenesTest, PictureHoldsImagesAndMasks) {
  ASSERT_OK_AND_ASSIGN(const SceneSet set, LoadScenes("mnist", Split::kTest, 4, {}));
  const plot::RgbImage picture = RenderScenes(set, 4, 2);
  EXPECT_EQ(picture.width, 4 * (96 + 2) + 2);
  EXPECT_EQ(picture.height, 2 * (96 + 2) + 2);
  EXPECT_FALSE(plot::EncodePng(picture).empty());
  EXPECT_EQ(RenderScenes(set, 10, 1).width, 4 * (48 + 2) + 2);  // at most the scenes there are
}

TEST(ScenesTest, BadOptionsAreErrors) {
  const tensor::ImageDataset g = Square();
  SceneOptions small;
  small.size = 20;
  EXPECT_THAT(MakeScenes(g, Split::kTest, 1, small), testing::StatusIs(absl::StatusCode::kInvalidArgument));
  SceneOptions counts;
  counts.min_glyphs = 3;
  counts.max_glyphs = 2;
  EXPECT_THAT(MakeScenes(g, Split::kTest, 1, counts), testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeScenes(g, Split::kTest, -1, {}), testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeScenes(tensor::ImageDataset{}, Split::kTest, 1, {}),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadScenes("cifar", Split::kTest, 1, {}), testing::StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace warden::segdata
