#include "components/segdata/scenes.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "components/tensor/seed.h"

namespace warden::segdata {
namespace {

// One scene's canvas and labels, built in place.
struct Canvas {
  int64_t size;
  std::vector<float> image;     // size²
  std::vector<int64_t> labels;  // size²
  std::vector<char> ring;       // size²: next to some glyph's foreground
};

// Places glyph `g` (side `side`) at (top, left); returns false when its
// foreground would overlap earlier foreground by more than `max_overlap`.
bool Place(Canvas& c, const float* g, int64_t side, int64_t top, int64_t left, int64_t label,
           double max_overlap) {
  float peak = 0;
  for (int64_t i = 0; i < side * side; ++i) peak = std::max(peak, g[i]);
  if (peak <= 0) return false;
  int64_t fg = 0, shared = 0;
  for (int64_t y = 0; y < side; ++y) {
    for (int64_t x = 0; x < side; ++x) {
      if (g[y * side + x] <= 0.5f * peak) continue;
      ++fg;
      shared += c.labels[(top + y) * c.size + left + x] != 0;
    }
  }
  if (fg == 0 || shared > max_overlap * static_cast<double>(fg)) return false;
  for (int64_t y = 0; y < side; ++y) {
    for (int64_t x = 0; x < side; ++x) {
      const int64_t at = (top + y) * c.size + left + x;
      const float v = g[y * side + x];
      c.image[at] = std::max(c.image[at], v);
      if (v > 0.5f * peak) c.labels[at] = label;  // the later glyph wins where they overlap
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<SceneSet> MakeScenes(const tensor::ImageDataset& glyphs, tensor::Split split, int64_t count,
                                    const SceneOptions& o) {
  if (!glyphs.images.defined() || glyphs.images.dim() != 4 || glyphs.images.size(0) == 0 ||
      glyphs.images.size(1) != 1 || glyphs.images.size(2) != glyphs.images.size(3)) {
    return absl::InvalidArgumentError("scenes need [N, 1, H, H] glyph images");
  }
  const int64_t side = glyphs.images.size(2), n = glyphs.images.size(0);
  if (glyphs.num_classes < 1 || glyphs.num_classes > kClasses - 1) {
    return absl::InvalidArgumentError(absl::StrCat("glyphs have ", glyphs.num_classes, " classes; at most ",
                                                   kClasses - 1, " fit the labels"));
  }
  if (o.size < side || count < 0 || o.min_glyphs < 1 || o.max_glyphs < o.min_glyphs || o.max_overlap < 0 ||
      o.texture_std < 0) {
    return absl::InvalidArgumentError(absl::StrCat("scene options: need size >= the glyph side (", side,
                                                   "), count >= 0, 1 <= min_glyphs <= max_glyphs, "
                                                   "max_overlap >= 0, texture_std >= 0"));
  }
  const at::Tensor images = glyphs.images.contiguous().to(at::kFloat).cpu();
  const at::Tensor labels = glyphs.labels.contiguous().to(at::kLong).cpu();
  const float* pixels = images.data_ptr<float>();
  const int64_t* classes = labels.data_ptr<int64_t>();
  const int64_t s = o.size;
  SceneSet out;
  out.source = glyphs.name;
  out.images = at::zeros({count, 1, s, s}, at::kFloat);
  out.masks = at::zeros({count, s, s}, at::kLong);
  float* image_out = out.images.data_ptr<float>();
  int64_t* mask_out = out.masks.data_ptr<int64_t>();
  const uint64_t split_seed = tensor::StreamSeed(o.seed, split == tensor::Split::kTrain ? 1 : 2);
  for (int64_t i = 0; i < count; ++i) {
    std::mt19937_64 rng(tensor::StreamSeed(split_seed, static_cast<uint64_t>(i)));
    Canvas c{s, std::vector<float>(s * s, 0.f), std::vector<int64_t>(s * s, 0), std::vector<char>(s * s, 0)};
    const int want = std::uniform_int_distribution<int>(o.min_glyphs, o.max_glyphs)(rng);
    std::uniform_int_distribution<int64_t> pick(0, n - 1), where(0, s - side);
    int placed = 0;
    for (int attempt = 0; placed < want && attempt < 50 * want; ++attempt) {
      const int64_t g = pick(rng), top = where(rng), left = where(rng);
      placed += Place(c, pixels + g * side * side, side, top, left, classes[g] + 1, o.max_overlap);
    }
    // The ring: background pixels 4-adjacent to a glyph's foreground.
    std::normal_distribution<float> texture(0.f, static_cast<float>(o.texture_std));
    for (int64_t y = 0; y < s; ++y) {
      for (int64_t x = 0; x < s; ++x) {
        const int64_t at = y * s + x;
        int64_t label = c.labels[at];
        if (o.ignore_ring && label == 0) {
          const std::array<std::pair<int64_t, int64_t>, 4> near = {
              {{y - 1, x}, {y + 1, x}, {y, x - 1}, {y, x + 1}}};
          for (const auto& [ny, nx] : near) {
            if (ny >= 0 && ny < s && nx >= 0 && nx < s && c.labels[ny * s + nx] != 0) label = kIgnoreLabel;
          }
        }
        mask_out[i * s * s + at] = label;
        const float noise = o.texture_std > 0 ? texture(rng) : 0.f;
        image_out[i * s * s + at] = std::clamp(c.image[at] + noise, 0.f, 1.f);
      }
    }
  }
  return out;
}

absl::StatusOr<SceneSet> LoadScenes(const std::string& dataset, tensor::Split split, int64_t count,
                                    const SceneOptions& options) {
  absl::StatusOr<tensor::ImageDataset> glyphs = tensor::LoadImageDataset(dataset, split);
  if (!glyphs.ok()) return glyphs.status();
  return MakeScenes(*glyphs, split, count, options);
}

at::Tensor ClassFrequencies(const at::Tensor& masks) {
  const at::Tensor flat = masks.reshape({-1}).to(at::kLong);
  const at::Tensor kept = flat.index({flat != kIgnoreLabel});
  const at::Tensor counts = at::bincount(kept, {}, kClasses).to(at::kDouble);
  return counts / std::max<double>(1.0, static_cast<double>(kept.numel()));
}

plot::RgbImage RenderPanels(const std::vector<Panel>& rows, int64_t count, int scale) {
  // Background black, ignore (and anything else outside the classes) white,
  // classes on a qualitative palette.
  static constexpr std::array<std::array<uint8_t, 3>, kClasses> kPalette = {{{0, 0, 0},
                                                                             {230, 25, 75},
                                                                             {60, 180, 75},
                                                                             {255, 225, 25},
                                                                             {0, 130, 200},
                                                                             {245, 130, 48},
                                                                             {145, 30, 180},
                                                                             {70, 240, 240},
                                                                             {240, 50, 230},
                                                                             {210, 245, 60},
                                                                             {250, 190, 212}}};
  if (rows.empty()) return plot::RgbImage();
  for (const Panel& row : rows) count = std::min<int64_t>(count, row.values.size(0));
  const int h = static_cast<int>(rows[0].values.size(-2)), w = static_cast<int>(rows[0].values.size(-1));
  const int gap = 2, cell_h = h * scale, cell_w = w * scale;
  const int num_rows = static_cast<int>(rows.size());
  plot::RgbImage picture(static_cast<int>(count) * (cell_w + gap) + gap, num_rows * (cell_h + gap) + gap,
                         128);
  for (int r = 0; r < num_rows; ++r) {
    const Panel& row = rows[r];
    const at::Tensor values =
        row.values.slice(0, 0, count).reshape({count, h, w}).to(at::kCPU, at::kDouble).contiguous();
    const double* v = values.data_ptr<double>();
    const int y0 = gap + r * (cell_h + gap);
    for (int64_t i = 0; i < count; ++i) {
      const int x0 = gap + static_cast<int>(i) * (cell_w + gap);
      for (int y = 0; y < cell_h; ++y) {
        for (int x = 0; x < cell_w; ++x) {
          const double value = v[i * h * w + (y / scale) * w + x / scale];
          std::array<uint8_t, 3> colour;
          if (row.kind == Panel::kGrey) {
            const uint8_t grey = static_cast<uint8_t>(std::lround(255.0 * std::clamp(value, 0.0, 1.0)));
            colour = {grey, grey, grey};
          } else if (row.kind == Panel::kLabels) {
            const int64_t label = static_cast<int64_t>(value);
            colour = label >= 0 && label < kClasses ? kPalette[label] : std::array<uint8_t, 3>{255, 255, 255};
          } else {  // heat: dark blue (0) to yellow (heat_max)
            const double t = std::clamp(value / row.heat_max, 0.0, 1.0);
            colour = {static_cast<uint8_t>(std::lround(255 * t)),
                      static_cast<uint8_t>(std::lround(40 + 180 * t)),
                      static_cast<uint8_t>(std::lround(140 * (1 - t)))};
          }
          picture.Set(x0 + x, y0 + y, colour[0], colour[1], colour[2]);
        }
      }
    }
  }
  return picture;
}

plot::RgbImage RenderScenes(const SceneSet& scenes, int64_t count, int scale) {
  return RenderPanels({{scenes.images.select(1, 0), Panel::kGrey}, {scenes.masks, Panel::kLabels}}, count,
                      scale);
}

}  // namespace warden::segdata
