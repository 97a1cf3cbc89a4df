#include "tools/cli/commands/seg.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "components/plot/png.h"
#include "components/plot/svg_plot.h"
#include "components/segattack/evaluate.h"
#include "components/segattack/segmenter.h"
#include "components/segattack/train.h"
#include "components/segdata/scene_file.h"
#include "components/segdata/scenes.h"
#include "components/smoothing/segmentation.h"
#include "components/smoothing/stats_core.h"
#include "components/tensor/atomic_file.h"
#include "tools/cli/flags.h"
#include "tools/cli/output.h"
#include "tools/cli/progress.h"

namespace warden::segdata {
namespace {

absl::StatusOr<tensor::Split> ParseSplit(const std::string& split) {
  if (split == "train") return tensor::Split::kTrain;
  if (split == "test") return tensor::Split::kTest;
  return absl::InvalidArgumentError(absl::StrCat("--split must be train or test, not '", split, "'"));
}

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
    flags.String("out", &out_,
                 "scene file to write (.safetensors: images, masks) for `seg attack/certify --scenes`; "
                 "empty: none");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("scenes takes no arguments");
    if (!out_.empty() && !absl::EndsWith(out_, ".safetensors"))
      return absl::InvalidArgumentError(absl::StrCat("--out must end in .safetensors: ", out_));
    absl::StatusOr<tensor::Split> split = ParseSplit(split_);
    if (!split.ok()) return split.status();
    if (count_ < 1 || show_ < 1) return absl::InvalidArgumentError("need --count >= 1 and --show >= 1");
    if (!png_.empty() && !absl::EndsWith(png_, ".png"))
      return absl::InvalidArgumentError(absl::StrCat("--png must end in .png: ", png_));
    options_.seed = static_cast<uint64_t>(seed_);
    absl::StatusOr<SceneSet> scenes = LoadScenes(dataset_, *split, count_, options_);
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
    if (!out_.empty()) {
      if (absl::Status s = SaveSceneFile(out_, *scenes); !s.ok()) return s;
      out << "scenes: " << out_ << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string dataset_ = "mnist", split_ = "test", png_, out_;
  int64_t count_ = 300, seed_ = 0, show_ = 8;
  SceneOptions options_;
};

// The segmenter of --model and the scenes it was trained on (or --dataset).
struct ModelAndScenes {
  segattack::SegNet model{nullptr};
  SceneSet scenes;
  std::string dataset;
};

// The canvas side the checkpoint was trained on (older checkpoints: the default).
int64_t TrainedCanvas(const nlohmann::json& meta) {
  if (meta.contains("train") && meta["train"].is_object() && meta["train"].contains("canvas") &&
      meta["train"]["canvas"].is_number_integer()) {
    return meta["train"]["canvas"].get<int64_t>();
  }
  return SceneOptions{}.size;
}

// `count` test scenes (scene seed `seed`) of the model's data set, or of
// --dataset; with `scenes_path`, the first `count` scenes of that file instead
// (fewer if it holds fewer), which must be canvases of the model's size.
absl::StatusOr<ModelAndScenes> LoadModelAndScenes(const std::string& model_path, const std::string& dataset,
                                                  int64_t count, int64_t seed,
                                                  const std::string& scenes_path = "") {
  if (model_path.empty()) return absl::InvalidArgumentError("--model is required");
  if (count < 1) return absl::InvalidArgumentError("need --count >= 1");
  absl::StatusOr<segattack::LoadedSegNet> loaded = segattack::LoadSegNet(model_path);
  if (!loaded.ok()) return loaded.status();
  ModelAndScenes out;
  out.model = loaded->model;
  out.dataset = dataset;
  const nlohmann::json& meta = loaded->metadata;
  if (!scenes_path.empty()) {
    absl::StatusOr<SceneSet> scenes = LoadSceneFile(scenes_path);
    if (!scenes.ok()) return scenes.status();
    const int64_t canvas = TrainedCanvas(meta), side = scenes->images.size(2);
    if (side != canvas) {
      return absl::InvalidArgumentError(absl::StrCat(scenes_path, ": scenes are ", side, "x", side, " but ",
                                                     model_path, " was trained on ", canvas, "x", canvas,
                                                     " canvases"));
    }
    if (out.dataset.empty()) out.dataset = scenes->source.empty() ? scenes_path : scenes->source;
    const int64_t n = std::min(count, scenes->images.size(0));
    out.scenes = {scenes->source, scenes->images.slice(0, 0, n), scenes->masks.slice(0, 0, n)};
    return out;
  }
  if (out.dataset.empty()) {
    if (!meta.contains("dataset") || !meta["dataset"].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(model_path, " names no dataset: pass --dataset"));
    }
    out.dataset = meta["dataset"].get<std::string>();
  }
  SceneOptions options;
  options.seed = static_cast<uint64_t>(seed);
  options.size = TrainedCanvas(meta);
  absl::StatusOr<SceneSet> scenes = LoadScenes(out.dataset, tensor::Split::kTest, count, options);
  if (!scenes.ok()) return scenes.status();
  out.scenes = *std::move(scenes);
  return out;
}

class TrainCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "trains a U-Net or FCN segmenter on digit scenes; reports pixel accuracy, foreground accuracy, "
           "mIoU";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("dataset", &dataset_, "glyphs: mnist or fashion-mnist");
    flags.String("architecture", &shape_.architecture, "unet or fcn");
    flags.Int("width", &shape_.width, "channels of the first stage (2x, 4x below)");
    flags.Int("train_count", &train_count_, "training scenes");
    flags.Int("test_count", &test_count_, "test scenes scored after each epoch");
    flags.Int("epochs", &config_.epochs, "passes over the training scenes");
    flags.Int("batch", &config_.batch_size, "batch size");
    flags.Double("lr", &config_.learning_rate, "Adam learning rate");
    flags.Bool("cosine", &config_.cosine_decay,
               "decay the learning rate along a cosine to 0 over the whole run (per batch)");
    flags.Double("noise", &config_.noise_sigma,
                 "Gaussian augmentation sigma (0: none; > 0 for `seg certify`)");
    flags.Int("seed", &seed_, "seed of the initialization, batch order and scenes");
    flags.String("out", &out_,
                 "segmenter checkpoint to write (.safetensors); its curves go beside it (.svg)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("train takes no arguments");
    if (train_count_ < 1 || test_count_ < 1) {
      return absl::InvalidArgumentError("need --train_count >= 1 and --test_count >= 1");
    }
    if (!absl::EndsWith(out_, ".safetensors")) {
      return absl::InvalidArgumentError(absl::StrCat("--out must end in .safetensors: ", out_));
    }
    absl::StatusOr<segattack::SegNet> model = segattack::MakeSegNet(shape_, static_cast<uint64_t>(seed_));
    if (!model.ok()) return model.status();
    SceneOptions scene_options;
    scene_options.seed = static_cast<uint64_t>(seed_);
    absl::StatusOr<SceneSet> train = LoadScenes(dataset_, tensor::Split::kTrain, train_count_, scene_options);
    if (!train.ok()) return train.status();
    absl::StatusOr<SceneSet> test = LoadScenes(dataset_, tensor::Split::kTest, test_count_, scene_options);
    if (!test.ok()) return test.status();
    config_.seed = static_cast<uint64_t>(seed_);
    out << absl::StrFormat("%s, width %d: %d parameters; %d train / %d test scenes of %s\n",
                           shape_.architecture, shape_.width, (*model)->num_parameters(), train_count_,
                           test_count_, dataset_);
    absl::StatusOr<segattack::SegTrainReport> report = segattack::TrainSegNet(
        *model, *train, *test, config_, [](int64_t epoch, int64_t done, int64_t total, double loss) {
          if (done % 20 == 0 || done == total) {
            cli::ShowProgress(
                absl::StrFormat("epoch %d: batch %d/%d loss %.4f", epoch + 1, done, total, loss),
                done == total);
          }
        });
    if (!report.ok()) return report.status();
    nlohmann::json scores = nlohmann::json::array();
    std::vector<double> epochs, acc, fg, miou;
    for (size_t i = 0; i < report->test.size(); ++i) {
      const segattack::SegScores& s = report->test[i];
      scores.push_back({{"pixel_accuracy", s.pixel_accuracy},
                        {"foreground_accuracy", s.foreground_accuracy},
                        {"mean_iou", s.mean_iou}});
      epochs.push_back(static_cast<double>(i + 1));
      acc.push_back(s.pixel_accuracy);
      fg.push_back(s.foreground_accuracy);
      miou.push_back(s.mean_iou);
      out << absl::StrFormat("epoch %d  loss %.4f  test pixel acc %.4f  foreground acc %.4f  mIoU %.4f\n",
                             i + 1, report->epoch_loss[i], s.pixel_accuracy, s.foreground_accuracy,
                             s.mean_iou);
    }
    const nlohmann::json metadata = {
        {"dataset", dataset_},
        {"input", "raw pixels in [0, 1], N x 1 x H x W; labels 0 background, class + 1"},
        {"train",
         {{"scenes", train_count_},
          {"test_scenes", test_count_},
          {"epochs", config_.epochs},
          {"batch", config_.batch_size},
          {"lr", config_.learning_rate},
          {"lr_schedule", config_.cosine_decay ? "cosine" : "constant"},
          {"noise_sigma", config_.noise_sigma},
          {"seed", seed_},
          {"seconds", report->seconds},
          {"test", scores}}}};
    if (absl::Status s = segattack::SaveSegNet(*model, metadata, out_); !s.ok()) return s;
    plot::LinePlotOptions options;
    options.title = absl::StrCat(shape_.architecture, " on ", dataset_, " scenes");
    options.x_label = "epoch";
    options.y_min = 0;
    options.y_max = 1;
    const std::string svg = plot::RenderLinePlot({{"train loss", epochs, report->epoch_loss},
                                                  {"test pixel accuracy", epochs, acc},
                                                  {"test foreground accuracy", epochs, fg},
                                                  {"test mIoU", epochs, miou}},
                                                 options);
    const std::string svg_path = cli::OutputStem(out_, {".safetensors"}) + ".svg";
    if (absl::Status s = tensor::WriteTextAtomically(svg_path, svg); !s.ok()) return s;
    out << absl::StrFormat("trained in %.1f s; wrote %s and %s\n", report->seconds, out_, svg_path);
    return absl::OkStatus();
  }

 private:
  std::string dataset_ = "mnist", out_ = "segmenter.safetensors";
  segattack::SegmenterShape shape_;
  segattack::SegTrainConfig config_;
  int64_t train_count_ = 6000, test_count_ = 300, seed_ = 0;
};

class CertifyCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "SegCertify on test scenes (Holm and Bonferroni) beside the attacks' soft pixel radius; map "
           "picture";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("model", &model_, "segmenter checkpoint (warden seg train; train with --noise=sigma)");
    flags.String("dataset", &dataset_, "scenes' glyphs (default: the model's)");
    flags.Int("count", &count_, "test scenes to certify");
    flags.String("scenes", &scenes_, "scene file (warden seg scenes --out) instead of generated scenes");
    flags.Int("seed", &seed_, "scene seed (the model's default 0) and noise seed");
    flags.Double("sigma", &options_.sigma, "smoothing noise");
    flags.Int("n", &options_.n, "noisy samples per scene");
    flags.Double("alpha", &options_.alpha, "family-wise failure probability over a scene's pixels");
    flags.Double("tau", &options_.tau, "a pixel certifies only if its top class has probability > tau");
    flags.Int("batch", &options_.batch_size, "noisy copies per forward pass");
    flags.Int("soft_samples", &soft_samples_, "copies for the attacks' soft radius");
    flags.Double("soft_sigma", &soft_sigma_, "noise of the attacks' soft radius");
    flags.String("png", &png_, "picture: image, truth, Holm map, Bonferroni map, soft radius; empty: none");
    flags.Int("show", &show_, "scenes in the picture");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("certify takes no arguments");
    if (!png_.empty() && !absl::EndsWith(png_, ".png")) {
      return absl::InvalidArgumentError(absl::StrCat("--png must end in .png: ", png_));
    }
    if (options_.n < 1 || soft_samples_ < 1 || show_ < 1) {
      return absl::InvalidArgumentError("need --n, --soft_samples and --show >= 1");
    }
    absl::StatusOr<ModelAndScenes> data = LoadModelAndScenes(model_, dataset_, count_, seed_, scenes_);
    if (!data.ok()) return data.status();
    count_ = data->scenes.images.size(0);
    std::unique_ptr<smoothing::Segmenter> f = segattack::AsSegmenter(data->model);
    options_.seed = static_cast<uint64_t>(seed_);
    const int64_t h = data->scenes.images.size(2), w = data->scenes.images.size(3);
    struct Tally {
      int64_t certified = 0, right = 0;
      double radius_sum = 0;
      std::vector<at::Tensor> maps;
    } holm, bonferroni;
    int64_t labelled = 0;
    for (int64_t i = 0; i < count_; ++i) {
      absl::StatusOr<std::vector<int64_t>> counts =
          smoothing::SamplePixelCounts(*f, data->scenes.images[i], options_, static_cast<uint64_t>(i));
      if (!counts.ok()) return counts.status();
      const at::Tensor mask = data->scenes.masks[i].flatten().contiguous();
      const int64_t* y = mask.data_ptr<int64_t>();
      for (auto [tally, correction] : {std::pair{&holm, smoothing::PixelCorrection::kHolm},
                                       std::pair{&bonferroni, smoothing::PixelCorrection::kBonferroni}}) {
        std::string error;
        const smoothing::PixelCertificate cert =
            smoothing::CertifyPixels(*counts, h * w, f->num_classes(), options_.sigma, options_.alpha,
                                     options_.tau, &error, correction);
        if (!error.empty()) return absl::InvalidArgumentError(error);
        for (int64_t p = 0; p < h * w; ++p) {
          if (y[p] == kIgnoreLabel) continue;
          if (cert.labels[p] != smoothing::kAbstain) {
            ++tally->certified;
            tally->radius_sum += cert.radii[p];
            tally->right += cert.labels[p] == y[p];
          }
        }
        tally->maps.push_back(torch::tensor(cert.labels, at::kLong).view({h, w}));
      }
      labelled += (mask != kIgnoreLabel).sum().item<int64_t>();
      cli::ShowProgress(absl::StrFormat("certify %d/%d", i + 1, count_), i + 1 == count_);
    }
    absl::StatusOr<at::Tensor> soft =
        smoothing::SoftPixelRadii(*f, data->scenes.images, soft_samples_, soft_sigma_, options_.seed, 0);
    if (!soft.ok()) return soft.status();
    out << absl::StrFormat("%d %s test scenes, sigma %.3f, n %d, alpha %g, tau %.2f (radius at tau: %.4f)\n",
                           count_, data->dataset, options_.sigma, options_.n, options_.alpha, options_.tau,
                           options_.sigma * smoothing::NormalQuantile(options_.tau));
    out << "correction\tcertified share\tcertified accuracy\tabstain\tmean radius of certified\n";
    for (auto [name, tally] : {std::pair{"holm", &holm}, std::pair{"bonferroni", &bonferroni}}) {
      const double n = static_cast<double>(labelled);
      out << absl::StrFormat("%s\t%.4f\t%.4f\t%.4f\t%.4f\n", name, tally->certified / n, tally->right / n,
                             1 - tally->certified / n,
                             tally->certified ? tally->radius_sum / tally->certified : 0.0);
    }
    const at::Tensor labelled_mask = data->scenes.masks != kIgnoreLabel;
    const at::Tensor soft_labelled = soft->cpu().masked_select(labelled_mask);
    out << absl::StrFormat(
        "soft radius (attacks' estimate, N=%d, sigma=%g): mean %.3f, median %.3f, share at the "
        "clamp %.3f\n",
        soft_samples_, soft_sigma_, soft_labelled.mean().item<double>(),
        soft_labelled.median().item<double>(), (soft_labelled >= 4.6).to(at::kDouble).mean().item<double>());
    if (!png_.empty()) {
      const plot::RgbImage picture =
          RenderPanels({{data->scenes.images.select(1, 0), Panel::kGrey},
                        {data->scenes.masks, Panel::kLabels},
                        {at::stack(holm.maps), Panel::kLabels},
                        {at::stack(bonferroni.maps), Panel::kLabels},
                        {soft->cpu(), Panel::kHeat, smoothing::NormalQuantile(0.999998)}},
                       show_, 4);
      if (absl::Status s = tensor::WriteTextAtomically(png_, plot::EncodePng(picture)); !s.ok()) return s;
      out << "picture (rows: image, truth, Holm, Bonferroni [white: abstain/ignore], soft radius): " << png_
          << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string model_, dataset_, png_;
  std::string scenes_;
  int64_t count_ = 20, seed_ = 0, show_ = 6, soft_samples_ = 8;
  double soft_sigma_ = 0.001;
  smoothing::PixelSmoothingOptions options_{0.25, 200, 0.001, 0.75, 100, 0};
};

// Half-width of the 95% interval of a mean of k values (Student t).
double HalfWidth95(const std::vector<double>& v) {
  static constexpr double kT[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262};
  const size_t k = v.size();
  if (k < 2) return 0;
  double mean = 0, ss = 0;
  for (double x : v) mean += x / k;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double t = k - 1 < std::size(kT) ? kT[k - 1] : 1.96;
  return t * std::sqrt(ss / (k - 1) / k);
}

std::string EpsilonText(double eps, segattack::Norm norm) {
  if (norm == segattack::Norm::kLinf) return absl::StrFormat("%.4g (%.3g/255)", eps, eps * 255);
  return absl::StrFormat("%.4g", eps);
}

class AttackCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "PGD / CR-PGD (white-box) and PBGD / CR-PBGD (black-box) against a segmenter over an epsilon grid";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("model", &model_, "segmenter checkpoint (warden seg train)");
    flags.String("dataset", &dataset_, "scenes' glyphs (default: the model's)");
    flags.Int("count", &count_, "test scenes for the white-box attacks");
    flags.String(
        "scenes", &scenes_,
        "scene file (warden seg scenes --out) instead of generated scenes (counts capped at its size)");
    flags.Int("seed", &seed_, "scene seed (the models' is 0)");
    flags.String("norm", &norm_, "linf or l2");
    flags.String("epsilons", &epsilons_, "comma list; a/b allowed (4/255)");
    flags.String("attacks", &attacks_,
                 "comma list of pgd, cr-pgd, pgd-released, cr-pgd-released, pbgd, cr-pbgd, bgd1, noise");
    flags.Int("steps", &settings_.pgd.steps, "white-box iterations T");
    flags.Double("step_size", &settings_.pgd.step_size, "white-box step; < 0: 2.5 eps / T");
    flags.Double("a", &a_, "CR weight sigmoid(b - a CR): slope");
    flags.Double("b", &b_, "CR weight: offset");
    flags.Int("samples", &settings_.pgd.weighting.samples, "CR-PGD: noisy copies per radius estimate");
    flags.Double("sigma", &sigma_, "CR noise (both attacks)");
    flags.Int("refresh", &settings_.pgd.weighting.refresh,
              "CR-PGD: re-estimate the radius every this many steps");
    flags.String("budgets", &budgets_,
                 "black-box: query budgets per image (one run to the largest, scored at each)");
    flags.Int("seeds", &seeds_, "black-box: seeds per attack (intervals over them)");
    flags.Int("bb_count", &bb_count_, "black-box: test scenes (-1: --count)");
    flags.Double("delta", &settings_.bandit.delta, "black-box: exploration radius");
    flags.Double("bb_step", &settings_.bandit.step_size,
                 "black-box: step; < 0: eps / 20 (l2: eps / scale / 20)");
    flags.Int("scale", &settings_.bandit.scale, "black-box: down-sampling of the search space");
    flags.Int("bb_refresh", &settings_.bandit.weighting.refresh, "CR-PBGD: rounds between radius estimates");
    flags.Int("bb_samples", &settings_.bandit.weighting.samples, "CR-PBGD: queries per radius estimate");
    flags.Bool("project", &settings_.bandit.project_iterate,
               "black-box: project the iterate onto the shrunk ball");
    flags.Double("focus_eps", &focus_eps_,
                 "epsilon of the radius-bin table, budget plot and picture (< 0: grid middle)");
    flags.Int("bins", &bins_, "radius bins of the flip-rate table");
    flags.Int("batch", &settings_.batch_size, "images attacked at once");
    flags.String("out", &out_,
                 "results table (.tsv); beside it _accuracy.svg, _budget.svg, _flips.tsv, _examples.png");
  }

  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("attack takes no arguments");
    absl::StatusOr<segattack::Norm> norm = segattack::ParseNorm(norm_);
    if (!norm.ok()) return norm.status();
    absl::StatusOr<std::vector<double>> epsilons = cli::ParseNumberList("epsilons", epsilons_);
    if (!epsilons.ok()) return epsilons.status();
    for (double e : *epsilons) {
      if (!(e >= 0))
        return absl::InvalidArgumentError(absl::StrCat("--epsilons: epsilon must be >= 0, got ", e));
    }
    absl::StatusOr<std::vector<double>> budget_values = cli::ParseNumberList("budgets", budgets_);
    if (!budget_values.ok()) return budget_values.status();
    std::vector<int64_t> budgets;
    for (double b : *budget_values) {
      if (!(b >= 1) || b != std::floor(b) || b > 1e9) {
        return absl::InvalidArgumentError(
            absl::StrCat("--budgets: a budget must be a whole number >= 1, got ", b));
      }
      budgets.push_back(static_cast<int64_t>(b));
    }
    std::sort(budgets.begin(), budgets.end());
    std::vector<segattack::AttackKind> kinds;
    for (absl::string_view name : absl::StrSplit(attacks_, ',', absl::SkipWhitespace())) {
      absl::StatusOr<segattack::AttackKind> kind = segattack::ParseAttack(std::string(name));
      if (!kind.ok()) return kind.status();
      kinds.push_back(*kind);
    }
    if (kinds.empty()) return absl::InvalidArgumentError("--attacks is empty");
    if (seeds_ < 1 || bins_ < 1) return absl::InvalidArgumentError("need --seeds >= 1 and --bins >= 1");
    if (!out_.empty() && !absl::EndsWith(out_, ".tsv")) {
      return absl::InvalidArgumentError(absl::StrCat("--out must end in .tsv: ", out_));
    }
    if (bb_count_ < 0) bb_count_ = count_;
    if (bb_count_ < 1) return absl::InvalidArgumentError("need --bb_count >= 1 (or -1)");
    settings_.norm = *norm;
    settings_.pgd.weighting.a = settings_.bandit.weighting.a = a_;
    settings_.pgd.weighting.b = settings_.bandit.weighting.b = b_;
    settings_.pgd.weighting.sigma = settings_.bandit.weighting.sigma = sigma_;
    settings_.bandit.budget = budgets.back();
    settings_.bandit.record_at = budgets;
    const double focus = focus_eps_ >= 0 ? focus_eps_ : (*epsilons)[epsilons->size() / 2];

    absl::StatusOr<ModelAndScenes> data =
        LoadModelAndScenes(model_, dataset_, std::max(count_, bb_count_), seed_, scenes_);
    if (!data.ok()) return data.status();
    count_ = std::min(count_, data->scenes.images.size(0));
    bb_count_ = std::min(bb_count_, data->scenes.images.size(0));
    segattack::SegNet& model = data->model;
    const at::Tensor images = data->scenes.images.slice(0, 0, count_),
                     masks = data->scenes.masks.slice(0, 0, count_);
    const at::Tensor bb_images = data->scenes.images.slice(0, 0, bb_count_);
    const at::Tensor bb_masks = data->scenes.masks.slice(0, 0, bb_count_);
    const segattack::SegScores clean = segattack::Score(model, images, masks);
    out << absl::StrFormat("%s %s on %d %s test scenes (black-box: %d); norm %s\n",
                           model->shape().architecture, model_, count_, data->dataset, bb_count_, norm_);
    out << "attack\tepsilon\tbudget\tpixel acc\tforeground acc\tmIoU\tcost/image\tseconds\n";
    out << absl::StrFormat("clean\t0\t-\t%.4f\t%.4f\t%.4f\t-\t-\n", clean.pixel_accuracy,
                           clean.foreground_accuracy, clean.mean_iou);
    if (bb_count_ != count_) {
      const segattack::SegScores bb_clean = segattack::Score(model, bb_images, bb_masks);
      out << absl::StrFormat("clean (the %d black-box scenes)\t0\t-\t%.4f\t%.4f\t%.4f\t-\t-\n", bb_count_,
                             bb_clean.pixel_accuracy, bb_clean.foreground_accuracy, bb_clean.mean_iou);
    }

    struct Row {
      std::string attack;
      double epsilon;
      int64_t budget;                          // -1: white-box
      std::vector<segattack::SegScores> runs;  // one per seed
      std::string cost;
      double seconds = 0;
    };
    std::vector<Row> rows;
    std::map<std::string, at::Tensor> focus_adversarial;  // white-box attack name → images at the focus ε
    std::vector<double> grid = *epsilons;
    if (std::find(grid.begin(), grid.end(), focus) == grid.end()) grid.push_back(focus);
    for (segattack::AttackKind kind : kinds) {
      const std::string name = segattack::AttackName(kind);
      const bool black = segattack::IsBlackBox(kind);
      for (double eps : grid) {
        const bool in_table = std::find(epsilons->begin(), epsilons->end(), eps) != epsilons->end();
        if (!in_table && black) continue;  // the focus ε only feeds the white-box picture and flip table
        settings_.epsilon = eps;
        std::vector<Row> found;
        if (!black) {
          settings_.seed = 0;
          absl::StatusOr<segattack::AttackOutcome> r =
              segattack::RunAttack(model, images, masks, kind, settings_, [&](int64_t done, int64_t total) {
                cli::ShowProgress(absl::StrFormat("%s eps %.4g: %d/%d images", name, eps, done, total),
                                  done == total);
              });
          if (!r.ok()) return r.status();
          if (eps == focus) focus_adversarial[name] = r->adversarial;
          if (in_table) {
            found.push_back({name,
                             eps,
                             -1,
                             {r->scores},
                             absl::StrFormat("%d fwd + %d bwd", r->cost.forward, r->cost.backward),
                             r->seconds});
          }
        } else {
          for (int64_t b : budgets)
            found.push_back({name, eps, b, {}, absl::StrCat("<= ", b, " queries"), 0});
          for (int64_t seed = 0; seed < seeds_; ++seed) {
            settings_.seed = static_cast<uint64_t>(seed);
            absl::StatusOr<segattack::AttackOutcome> r = segattack::RunAttack(
                model, bb_images, bb_masks, kind, settings_, [&](int64_t done, int64_t total) {
                  cli::ShowProgress(
                      absl::StrFormat("%s eps %.4g seed %d: %d/%d images", name, eps, seed, done, total),
                      done == total);
                });
            if (!r.ok()) return r.status();
            for (size_t i = 0; i < budgets.size(); ++i) {
              found[i].runs.push_back(r->recorded[i]);
              found[i].seconds += r->seconds / static_cast<double>(seeds_);
            }
          }
        }
        for (const Row& row : found) {
          std::vector<double> acc, fg, miou;
          for (const segattack::SegScores& s : row.runs) {
            acc.push_back(s.pixel_accuracy), fg.push_back(s.foreground_accuracy), miou.push_back(s.mean_iou);
          }
          auto cell = [](const std::vector<double>& v) {
            double mean = 0;
            for (double x : v) mean += x / static_cast<double>(v.size());
            return v.size() > 1 ? absl::StrFormat("%.4f ± %.4f", mean, HalfWidth95(v))
                                : absl::StrFormat("%.4f", mean);
          };
          out << absl::StrFormat("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\n", row.attack,
                                 EpsilonText(row.epsilon, *norm),
                                 row.budget < 0 ? "-" : absl::StrCat(row.budget), cell(acc), cell(fg),
                                 cell(miou), row.cost, row.seconds);
          rows.push_back(row);
        }
      }
    }

    // The motivating statistic: which correctly classified pixels PGD flips, by clean radius.
    segattack::RadiusBins bins;
    at::Tensor focus_pgd = focus_adversarial.count("pgd") ? focus_adversarial["pgd"] : at::Tensor();
    if (!focus_pgd.defined()) {
      settings_.epsilon = focus;
      absl::StatusOr<segattack::AttackOutcome> r =
          segattack::RunAttack(model, images, masks, segattack::AttackKind::kPgd, settings_);
      if (!r.ok()) return r.status();
      focus_pgd = r->adversarial;
    }
    std::unique_ptr<smoothing::Segmenter> f = segattack::AsSegmenter(model);
    absl::StatusOr<at::Tensor> radius =
        smoothing::SoftPixelRadii(*f, images, settings_.pgd.weighting.samples, sigma_, 0, 0);
    if (!radius.ok()) return radius.status();
    const at::Tensor clean_pred = segattack::Predict(model, images);
    const at::Tensor pgd_pred = segattack::Predict(model, focus_pgd);
    bins = segattack::FlipRateByRadius(*radius, clean_pred, pgd_pred, masks, static_cast<int>(bins_));
    out << absl::StrFormat("\npixels PGD (eps %s) flips, by clean soft radius (correct clean pixels only)\n",
                           EpsilonText(focus, *norm));
    out << "bin\tradius from\tradius to\tpixels\tflip rate\n";
    for (size_t i = 0; i < bins.pixels.size(); ++i) {
      out << absl::StrFormat("%d\t%.3f\t%.3f\t%d\t%.4f\n", i + 1, bins.low[i], bins.high[i], bins.pixels[i],
                             bins.flip_rate[i]);
    }
    if (!out_.empty()) {
      if (absl::Status s = WriteOutputs(rows, clean, bins, *norm, focus, budgets, images, masks, clean_pred,
                                        focus_adversarial, model);
          !s.ok()) {
        return s;
      }
      out << "wrote " << out_ << " and its _accuracy.svg, _budget.svg, _flips.tsv, _examples.png\n";
    }
    return absl::OkStatus();
  }

 private:
  template <typename RowT>
  absl::Status WriteOutputs(const std::vector<RowT>& rows, const segattack::SegScores& clean,
                            const segattack::RadiusBins& bins, segattack::Norm norm, double focus,
                            const std::vector<int64_t>& budgets, const at::Tensor& images,
                            const at::Tensor& masks, const at::Tensor& clean_pred,
                            const std::map<std::string, at::Tensor>& focus_adversarial,
                            segattack::SegNet& model) {
    const std::string stem = cli::OutputStem(out_, {".tsv"});
    std::string tsv = "attack\tnorm\tepsilon\tbudget\tseed\tpixel_accuracy\tforeground_accuracy\tmean_iou\n";
    tsv += absl::StrFormat("clean\t%s\t0\t-1\t-1\t%.6f\t%.6f\t%.6f\n", NormName(norm), clean.pixel_accuracy,
                           clean.foreground_accuracy, clean.mean_iou);
    for (const RowT& row : rows) {
      for (size_t seed = 0; seed < row.runs.size(); ++seed) {
        const segattack::SegScores& s = row.runs[seed];
        tsv += absl::StrFormat("%s\t%s\t%.6g\t%d\t%d\t%.6f\t%.6f\t%.6f\n", row.attack, NormName(norm),
                               row.epsilon, row.budget, row.budget < 0 ? -1 : static_cast<int64_t>(seed),
                               s.pixel_accuracy, s.foreground_accuracy, s.mean_iou);
      }
    }
    if (absl::Status s = tensor::WriteTextAtomically(out_, tsv); !s.ok()) return s;

    auto mean_acc = [](const RowT& row) {
      double m = 0;
      for (const segattack::SegScores& s : row.runs)
        m += s.pixel_accuracy / static_cast<double>(row.runs.size());
      return m;
    };
    std::map<std::string, plot::Series> by_eps, by_budget;
    for (const RowT& row : rows) {
      if (row.budget < 0 || row.budget == budgets.back()) {
        plot::Series& series = by_eps[row.attack];
        series.label = row.budget < 0 ? row.attack : absl::StrCat(row.attack, " (", row.budget, " queries)");
        series.x.push_back(row.epsilon);
        series.y.push_back(mean_acc(row));
      }
      if (row.budget >= 0 && row.epsilon == focus) {
        plot::Series& series = by_budget[row.attack];
        series.label = row.attack;
        series.x.push_back(static_cast<double>(row.budget));
        series.y.push_back(mean_acc(row));
      }
    }
    plot::LinePlotOptions options;
    options.title =
        absl::StrCat(model->shape().architecture, ": pixel accuracy under attack (", NormName(norm), ")");
    options.x_label = "epsilon";
    options.y_label = "pixel accuracy";
    options.y_min = 0;
    options.y_max = 1;
    std::vector<plot::Series> series;
    for (auto& [name, s] : by_eps) series.push_back(s);
    if (!series.empty()) {
      series.push_back(
          {"clean", {series[0].x.front(), series[0].x.back()}, {clean.pixel_accuracy, clean.pixel_accuracy}});
    }
    if (absl::Status s =
            tensor::WriteTextAtomically(stem + "_accuracy.svg", plot::RenderLinePlot(series, options));
        !s.ok()) {
      return s;
    }
    series.clear();
    for (auto& [name, s] : by_budget) series.push_back(s);
    options.title = absl::StrCat("black-box pixel accuracy vs queries, epsilon ", EpsilonText(focus, norm));
    options.x_label = "queries per image";
    if (absl::Status s =
            tensor::WriteTextAtomically(stem + "_budget.svg", plot::RenderLinePlot(series, options));
        !s.ok()) {
      return s;
    }
    std::string flips = "bin\tradius_from\tradius_to\tpixels\tflip_rate\n";
    for (size_t i = 0; i < bins.pixels.size(); ++i) {
      flips += absl::StrFormat("%d\t%.4f\t%.4f\t%d\t%.6f\n", i + 1, bins.low[i], bins.high[i], bins.pixels[i],
                               bins.flip_rate[i]);
    }
    if (absl::Status s = tensor::WriteTextAtomically(stem + "_flips.tsv", flips); !s.ok()) return s;
    std::vector<Panel> panels = {
        {images.select(1, 0), Panel::kGrey}, {masks, Panel::kLabels}, {clean_pred, Panel::kLabels}};
    for (const char* name : {"pgd", "cr-pgd"}) {
      auto it = focus_adversarial.find(name);
      if (it == focus_adversarial.end()) continue;
      panels.push_back({it->second.select(1, 0), Panel::kGrey});
      panels.push_back({segattack::Predict(model, it->second), Panel::kLabels});
    }
    return tensor::WriteTextAtomically(stem + "_examples.png", plot::EncodePng(RenderPanels(panels, 6, 4)));
  }

  std::string model_, dataset_, norm_ = "linf", epsilons_ = "2/255,4/255,8/255,16/255",
                                attacks_ = "pgd,cr-pgd";
  std::string budgets_ = "300,1000", out_;
  std::string scenes_;
  int64_t count_ = 100, seed_ = 0, seeds_ = 1, bb_count_ = -1, bins_ = 5;
  double a_ = 2, b_ = 4, sigma_ = 0.001, focus_eps_ = -1;
  segattack::AttackSettings settings_;
};

}  // namespace

absl::Status RunSegDemo(std::ostream& out) {
  SceneOptions options;
  absl::StatusOr<SceneSet> train = LoadScenes("mnist", tensor::Split::kTrain, 512, options);
  if (!train.ok()) return train.status();
  absl::StatusOr<SceneSet> test = LoadScenes("mnist", tensor::Split::kTest, 16, options);
  if (!test.ok()) return test.status();
  absl::StatusOr<segattack::SegNet> model = segattack::MakeSegNet({"unet", 8, 1, kClasses}, 0);
  if (!model.ok()) return model.status();
  segattack::SegTrainConfig config;
  config.epochs = 2;
  config.learning_rate = 1e-2;
  out << "training a small U-Net (width 8) on 512 MNIST scenes for 2 epochs "
         "(`warden seg train` trains the spec's width-16 model on 6,000 for 20)\n";
  absl::StatusOr<segattack::SegTrainReport> report = segattack::TrainSegNet(*model, *train, *test, config);
  if (!report.ok()) return report.status();
  segattack::AttackSettings settings;
  settings.epsilon = 8.0 / 255;
  settings.pgd.steps = 10;
  const segattack::SegScores clean = segattack::Score(*model, test->images, test->masks);
  out << absl::StrFormat(
      "16 test scenes, L-inf eps 8/255, T = 10\nattack\tpixel acc\tforeground acc\tmIoU\n"
      "clean\t%.4f\t%.4f\t%.4f\n",
      clean.pixel_accuracy, clean.foreground_accuracy, clean.mean_iou);
  for (segattack::AttackKind kind : {segattack::AttackKind::kPgd, segattack::AttackKind::kCrPgd}) {
    absl::StatusOr<segattack::AttackOutcome> r =
        segattack::RunAttack(*model, test->images, test->masks, kind, settings);
    if (!r.ok()) return r.status();
    out << absl::StrFormat("%s\t%.4f\t%.4f\t%.4f\n", segattack::AttackName(kind), r->scores.pixel_accuracy,
                           r->scores.foreground_accuracy, r->scores.mean_iou);
  }
  out << "(tools/experiments/seg_attacks.sh runs the full grid: both models, both data sets, black-box "
         "budgets)\n";
  return absl::OkStatus();
}

void RegisterSegCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("seg", "segmentation scenes for the certified-radius-guided attacks");
  registry.Add("seg", "scenes", [] { return std::make_unique<ScenesCommand>(); });
  registry.Add("seg", "train", [] { return std::make_unique<TrainCommand>(); });
  registry.Add("seg", "certify", [] { return std::make_unique<CertifyCommand>(); });
  registry.Add("seg", "attack", [] { return std::make_unique<AttackCommand>(); });
}

}  // namespace warden::segdata
