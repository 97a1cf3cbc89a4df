#include "tools/cli/commands/seg.h"

#include <torch/torch.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "components/plot/png.h"
#include "components/segdata/scenes.h"
#include "components/tensor/atomic_file.h"

namespace warden::segdata {
namespace {

class ScenesCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "segmentation scenes of real digit glyphs: class frequencies and a picture of scenes with masks";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("dataset", &dataset_, "glyphs: mnist or fashion-mnist");
    flags.String("split", &split_, "train (train glyphs) or test (test glyphs)");
    flags.Int("count", &count_, "scenes to make");
    flags.Int("seed", &seed_, "scene seed (each scene depends on seed, split and index only)");
    flags.Int("size", &options_.size, "canvas side");
    flags.Double("texture", &options_.texture_std, "std of the canvas's Gaussian texture");
    flags.Bool("ignore_ring", &options_.ignore_ring, "label the ring around each glyph 255 (ignored)");
    flags.String("png", &png_, "picture of the first --show scenes (images above masks); empty: none");
    flags.Int("show", &show_, "scenes in the picture");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("scenes takes no arguments");
    if (split_ != "train" && split_ != "test")
      return absl::InvalidArgumentError(absl::StrCat("--split must be train or test, not '", split_, "'"));
    if (count_ < 1 || show_ < 1) return absl::InvalidArgumentError("need --count >= 1 and --show >= 1");
    if (!png_.empty() && !absl::EndsWith(png_, ".png"))
      return absl::InvalidArgumentError(absl::StrCat("--png must end in .png: ", png_));
    options_.seed = static_cast<uint64_t>(seed_);
    const tensor::Split split = split_ == "train" ? tensor::Split::kTrain : tensor::Split::kTest;
    absl::StatusOr<SceneSet> scenes = LoadScenes(dataset_, split, count_, options_);
    if (!scenes.ok()) return scenes.status();
    const at::Tensor freq = ClassFrequencies(scenes->masks);
    const double ignored =
        (scenes->masks == kIgnoreLabel).sum().item<double>() / static_cast<double>(scenes->masks.numel());
    out << absl::StrFormat("%d %s scenes of %s glyphs, %dx%d, seed %d\n", count_, split_, dataset_,
                           options_.size, options_.size, seed_);
    out << "class\tshare of labelled pixels\n";
    for (int64_t c = 0; c < kClasses; ++c)
      out << absl::StrFormat("%s\t%.4f\n", c == 0 ? "background" : absl::StrCat(c - 1),
                             freq[c].item<double>());
    out << absl::StrFormat("ignored\t%.4f of all pixels\n", ignored);
    if (!png_.empty()) {
      const std::string bytes = plot::EncodePng(RenderScenes(*scenes, show_, 4));
      if (absl::Status s = tensor::WriteTextAtomically(png_, bytes); !s.ok()) return s;
      out << "picture: " << png_ << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string dataset_ = "mnist", split_ = "test", png_;
  int64_t count_ = 300, seed_ = 0, show_ = 8;
  SceneOptions options_;
};

}  // namespace

void RegisterSegCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("seg", "segmentation scenes for the certified-radius-guided attacks");
  registry.Add("seg", "scenes", [] { return std::make_unique<ScenesCommand>(); });
}

}  // namespace warden::segdata
