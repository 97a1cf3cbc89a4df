// Segmentation scenes from real digit glyphs (the CR-attack spec's data,
// docs/specs/cr_attack.md §5.2): 2-4 MNIST or Fashion-MNIST 28×28 glyphs on a
// 48×48 canvas with mild Gaussian texture, placed so that a new glyph's
// foreground overlaps earlier foreground by at most 20%; per-pixel labels
// background 0 and class + 1 (11 classes) where the glyph is brighter than
// half its maximum, and an ignore label on the 1-pixel ring around each glyph.
// Every scene is a function of (seed, split, index) alone, so a split of any
// size is reproducible and its first scenes never change.
#ifndef WARDEN_COMPONENTS_SEGDATA_SCENES_H_
#define WARDEN_COMPONENTS_SEGDATA_SCENES_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/plot/png.h"
#include "components/tensor/datasets.h"

namespace warden::segdata {

inline constexpr int64_t kClasses = 11;       // background + 10 glyph classes
inline constexpr int64_t kIgnoreLabel = 255;  // no loss, no score

struct SceneOptions {
  int64_t size = 48;  // canvas side
  int min_glyphs = 2, max_glyphs = 4;
  double max_overlap = 0.2;   // of a new glyph's foreground on earlier foreground
  double texture_std = 0.05;  // Gaussian texture added to the canvas, then clipped to [0, 1]
  bool ignore_ring = true;    // label the ring around each glyph kIgnoreLabel
  uint64_t seed = 0;
};

struct SceneSet {
  std::string source;  // "mnist" or "fashion-mnist"
  at::Tensor images;   // [N, 1, S, S] float32 in [0, 1]
  at::Tensor masks;    // [N, S, S] int64: 0, 1..10, or kIgnoreLabel
};

// `count` scenes from the glyphs of `glyphs` (train glyphs for the train
// split, test glyphs for the test split). InvalidArgument for options that
// cannot make a scene (a canvas smaller than a glyph, no glyphs, bad counts).
absl::StatusOr<SceneSet> MakeScenes(const tensor::ImageDataset& glyphs, tensor::Split split, int64_t count,
                                    const SceneOptions& options);

// Loads `dataset` ("mnist" or "fashion-mnist") from the data directory and
// makes `count` scenes of `split` from it.
absl::StatusOr<SceneSet> LoadScenes(const std::string& dataset, tensor::Split split, int64_t count,
                                    const SceneOptions& options);

// Per class, the fraction of labelled pixels (ignore excluded), [kClasses].
at::Tensor ClassFrequencies(const at::Tensor& masks);

// One row of a picture: N maps of H × W (any leading 1-sized channel dim ok).
struct Panel {
  at::Tensor values;
  enum Kind { kGrey, kLabels, kHeat } kind = kGrey;  // [0, 1] grey; class colours; a ramp
  double heat_max = 1;                               // kHeat: the value drawn brightest
};

// A picture with one row per panel and the first `count` maps side by side,
// `scale` pixels per pixel. Labels: background black, classes on a palette,
// anything else (the ignore label, an abstention) white.
plot::RgbImage RenderPanels(const std::vector<Panel>& rows, int64_t count, int scale);

// A picture of the first `count` scenes: each image (grey) above its mask
// (one colour per class, ignore in white), `scale` pixels per pixel.
plot::RgbImage RenderScenes(const SceneSet& scenes, int64_t count, int scale);

}  // namespace warden::segdata

#endif  // WARDEN_COMPONENTS_SEGDATA_SCENES_H_
