#include "tools/cli/commands/smooth.h"

#include <ATen/ATen.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "components/plot/svg_plot.h"
#include "components/smoothing/certify_core.h"
#include "components/smoothing/certify_run.h"
#include "components/smoothing/mnist_cnn.h"
#include "components/smoothing/model_file.h"
#include "components/smoothing/stats_core.h"
#include "components/smoothing/train.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/device.h"
#include "components/tensor/shard.h"
#include "tools/cli/output.h"
#include "tools/cli/progress.h"

namespace warden::smoothing {
namespace {

using cli::ShowProgress;

class TrainCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "trains the MNIST/Fashion-MNIST CNN with Gaussian noise augmentation";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("dataset", &config_.dataset, "mnist or fashion-mnist");
    flags.Double("sigma", &config_.sigma, "noise level of the augmentation");
    flags.Int("epochs", &config_.epochs, "passes over the training set");
    flags.Int("batch", &config_.batch_size, "batch size");
    flags.Double("lr", &config_.learning_rate, "Adam learning rate");
    flags.Int("limit", &config_.limit, "use only the first N training images (-1: all)");
    flags.Int("seed", &seed_, "seed for initialization, order and noise");
    flags.String("out", &out_, "model file to write (.safetensors); its loss curve goes beside it (.svg)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("train takes no arguments");
    config_.seed = static_cast<uint64_t>(seed_);
    at::manual_seed(seed_);  // parameter initialization
    MnistCnn model;
    absl::StatusOr<TrainReport> report =
        TrainGaussianAugmented(model, config_, [](int64_t epoch, int64_t done, int64_t total, double loss) {
          if (done % 20 == 0 || done == total) {
            ShowProgress(absl::StrFormat("epoch %d: batch %d/%d loss %.4f", epoch + 1, done, total, loss),
                         done == total);
          }
        });
    if (!report.ok()) return report.status();
    nlohmann::json metadata = MnistCnnMetadata(config_.dataset, config_.sigma);
    metadata["train"] = {{"epochs", config_.epochs},
                         {"batch", config_.batch_size},
                         {"lr", config_.learning_rate},
                         {"limit", config_.limit},
                         {"seed", seed_},
                         {"test_accuracy", report->test_accuracy},
                         {"noisy_test_accuracy", report->noisy_accuracy}};
    if (absl::Status s = SaveMnistCnn(model, metadata, out_); !s.ok()) return s;
    std::vector<double> epochs;
    for (size_t i = 0; i < report->epoch_loss.size(); ++i) epochs.push_back(static_cast<double>(i + 1));
    plot::LinePlotOptions options;
    options.title = absl::StrCat(config_.dataset, " CNN, Gaussian augmentation sigma=", config_.sigma);
    options.x_label = "epoch";
    options.y_min = 0;
    options.y_max = 1;
    const std::string svg = plot::RenderLinePlot({{"train loss", epochs, report->epoch_loss},
                                                  {"clean test accuracy", epochs, report->test_accuracy},
                                                  {"noisy test accuracy", epochs, report->noisy_accuracy}},
                                                 options);
    const std::string svg_path = cli::OutputStem(out_, {".safetensors"}) + ".svg";
    if (absl::Status s = tensor::WriteTextAtomically(svg_path, svg); !s.ok()) {
      return s;
    }
    for (size_t i = 0; i < report->epoch_loss.size(); ++i) {
      out << absl::StrFormat("epoch %d  loss %.4f  test acc %.4f  noisy test acc (sigma=%.2f) %.4f\n", i + 1,
                             report->epoch_loss[i], report->test_accuracy[i], config_.sigma,
                             report->noisy_accuracy[i]);
    }
    out << absl::StrFormat("trained in %.1f s; wrote %s and %s\n", report->seconds, out_, svg_path);
    return absl::OkStatus();
  }

 private:
  TrainConfig config_;
  int64_t seed_ = 0;
  std::string out_ = "mnist_cnn.safetensors";
};

// --radius (-1: off) and --adaptive as SequentialOptions; nullopt for fixed-n.
absl::StatusOr<std::optional<SequentialOptions>> SequentialFromFlags(double radius, bool adaptive,
                                                                     SequentialOptions options) {
  const bool at_radius = radius != -1;
  if (at_radius && adaptive) return absl::InvalidArgumentError("--radius and --adaptive exclude each other");
  if (at_radius && !(radius >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("--radius must be >= 0 (or -1: off), got ", radius));
  }
  if (!(options.tolerance >= 0)) return absl::InvalidArgumentError("--tolerance must be >= 0");
  if (!at_radius && !adaptive) return std::nullopt;
  options.mode = at_radius ? SequentialOptions::Mode::kRadius : SequentialOptions::Mode::kAdaptive;
  options.radius = at_radius ? radius : 0.0;
  return options;
}

// How the title and summary name a mode.
std::string ModeName(const std::optional<SequentialOptions>& sequential, int64_t n) {
  if (!sequential.has_value()) return absl::StrFormat("n=%d", n);
  if (sequential->mode == SequentialOptions::Mode::kRadius) {
    return absl::StrFormat("certified at r=%g?, n<=%d", sequential->radius, n);
  }
  return absl::StrFormat("adaptive, tolerance %g, n<=%d", sequential->tolerance, n);
}

class CertifyCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "certifies test inputs with randomized smoothing (Cohen et al. CERTIFY)";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("dataset", &config_.dataset, "mnist or fashion-mnist");
    flags.String("model", &model_,
                 "base classifier: the project's CNN (.safetensors, from `smooth train`) or a TorchScript "
                 "module (torch.jit.save) mapping raw pixels in [0, 1] to logits; told apart by content "
                 "(default: the embedded MNIST sigma=0.25 model)");
    flags.Int("classes", &classes_, "output classes of a TorchScript model");
    flags.String("precision", &precision_,
                 "forward precision: fp32, bf16 (autocast; predictions may differ from fp32 on a few noisy "
                 "samples) or tf32 (CUDA matmul/conv)");
    flags.Double("sigma", &config_.smoothing.sigma, "noise level");
    flags.Int("n0", &config_.smoothing.n0, "selection samples");
    flags.Int("n", &config_.smoothing.n, "estimation samples (with --radius or --adaptive: the most drawn)");
    flags.Double("radius", &radius_,
                 "decide 'certified at this L2 radius' sequentially, stopping as soon as the answer is known "
                 "at level alpha (rows: the radius if certified, else abstain); -1: off");
    flags.Bool("adaptive", &adaptive_,
               "anytime CERTIFY: draw samples in doubling steps up to --n until the radius stops growing by "
               "more than --tolerance (valid at level alpha under that stopping rule)");
    flags.Double("tolerance", &sequential_.tolerance,
                 "--adaptive: stop when the next step would raise the radius by at most this fraction");
    flags.Int("first", &sequential_.first,
              "--radius/--adaptive: estimation samples at the first check (doubling from there)");
    flags.Double("alpha", &config_.smoothing.alpha, "failure probability");
    flags.Int("batch", &config_.smoothing.batch_size, "noisy copies per forward pass");
    flags.Int("limit", &config_.limit, "number of test inputs to certify");
    flags.Int("skip", &config_.skip, "certify every skip-th test input");
    flags.String("shard", &shard_,
                 "certify one shard of the inputs: K/N, or auto / auto/N from a Slurm array task or a "
                 "Kubernetes Indexed Job (join the shards' TSVs with `warden merge`)");
    flags.Int("seed", &seed_, "noise seed");
    flags.String("device", &device_, tensor::kDeviceFlagHelp);
    flags.String("out", &out_, "results: OUT.tsv (or OUT if it ends in .tsv) and the plot beside it (.svg)");
    flags.Bool("time", &with_time_, "fill the TSV time column (--notime: '-', for diffable files)");
    flags.Bool("trace", &trace_,
               "fixed-n only: also write OUT.trace.tsv, the top class's count at each checkpoint of the "
               "doubling schedule from --first, for `smooth replay`");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("certify takes no arguments");
    if (!(config_.smoothing.sigma > 0) || config_.smoothing.n0 < 1 || config_.smoothing.n < 1 ||
        !(config_.smoothing.alpha > 0 && config_.smoothing.alpha < 1)) {
      return absl::InvalidArgumentError("need sigma > 0, n0 >= 1, n >= 1 and alpha in (0, 1)");
    }
    absl::StatusOr<std::optional<SequentialOptions>> sequential =
        SequentialFromFlags(radius_, adaptive_, sequential_);
    if (!sequential.ok()) return sequential.status();
    if (trace_ && sequential->has_value()) {
      return absl::InvalidArgumentError("--trace records fixed-n runs; it excludes --radius and --adaptive");
    }
    if ((sequential->has_value() || trace_) &&
        (sequential_.first < 1 || sequential_.first > config_.smoothing.n)) {
      return absl::InvalidArgumentError("need 1 <= --first <= --n");
    }
    config_.sequential = *sequential;
    if (trace_) config_.trace_first = sequential_.first;
    config_.smoothing.seed = static_cast<uint64_t>(seed_);
    absl::StatusOr<tensor::Shard> shard = tensor::ParseShard(shard_);
    if (!shard.ok()) return shard.status();
    config_.shard = *shard;
    if (trace_ && shard->count > 1) return absl::InvalidArgumentError("--trace records unsharded runs only");
    absl::StatusOr<c10::Device> device = tensor::ParseDevice(device_);
    if (!device.ok()) return device.status();
    absl::StatusOr<Precision> precision = ParsePrecision(precision_);
    if (!precision.ok()) return precision.status();
    config_.smoothing.precision = *precision;
    absl::StatusOr<LoadedClassifier> model = LoadClassifierFile(model_, classes_, *device);
    if (!model.ok()) return model.status();
    const nlohmann::json& metadata = model->metadata;
    if (metadata.contains("sigma") && metadata["sigma"].is_number() &&
        metadata["sigma"].get<double>() != config_.smoothing.sigma) {
      std::fprintf(stderr, "note: the model was trained at sigma=%g, certifying at sigma=%g\n",
                   metadata["sigma"].get<double>(), config_.smoothing.sigma);
    }
    std::unique_ptr<BaseClassifier> classifier = std::move(model->classifier);
    int64_t correct = 0, samples = 0;
    absl::StatusOr<std::vector<CertifyRow>> rows =
        RunCertification(*classifier, config_, [&](int64_t done, int64_t total, const CertifyRow& row) {
          correct += row.correct ? 1 : 0;
          samples += row.samples;
          ShowProgress(absl::StrFormat("certify %d/%d  idx %d label %d predict %d radius %.3f  "
                                       "(%.2f s/input, %d correct, %.0f samples/input)",
                                       done, total, row.index, row.label, row.predicted, row.radius,
                                       row.seconds, correct, static_cast<double>(samples) / done),
                       done == total);
        });
    if (!rows.ok()) return rows.status();
    const std::string mode = ModeName(config_.sequential, config_.smoothing.n);
    const std::string title = absl::StrFormat("%s, sigma=%g, %s, alpha=%g", config_.dataset,
                                              config_.smoothing.sigma, mode, config_.smoothing.alpha);
    const std::string stem = cli::OutputStem(out_, {".tsv", ".svg"});
    if (absl::Status s = WriteCertifyOutputs(stem, *rows, title, with_time_, config_.sequential.has_value());
        !s.ok()) {
      return s;
    }
    if (trace_) {
      const std::string trace_path = stem + ".trace.tsv";
      if (absl::Status s = tensor::WriteTextAtomically(trace_path, TraceTsv(MakeTrace(config_, *rows)));
          !s.ok()) {
        return s;
      }
      out << "wrote " << trace_path << "\n";
    }
    out << AccuracyTable(*rows)
        << absl::StrFormat("forward passes per input: %.1f (%s)\n",
                           static_cast<double>(samples) / static_cast<double>(rows->size()), mode)
        << "wrote " << stem << ".tsv and " << stem << ".svg\n";
    return absl::OkStatus();
  }

 private:
  CertifyRunConfig config_;
  SequentialOptions sequential_;
  double radius_ = -1;
  bool adaptive_ = false;
  std::string model_;
  int64_t classes_ = 10;
  std::string precision_ = "fp32";
  std::string device_ = "cpu";
  std::string out_ = "certify";
  int64_t seed_ = 0;
  bool with_time_ = true;
  bool trace_ = false;
  std::string shard_;
};

// Joins the outputs of a sharded run (--shard=K/N on each process) into the
// output one process would have written.
class MergeCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "joins the shards of a sharded run (smooth certify --shard) into one process's output";
  }
  std::string ArgsUsage() const override { return "SHARD.tsv..."; }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("out", &out_, "merged results: OUT.tsv (or OUT if it ends in .tsv) and the plot beside it");
    flags.String("title", &title_, "plot title");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.empty()) return absl::InvalidArgumentError("expected the shards' TSV files");
    std::vector<std::string> texts;
    for (const std::string& path : args) {
      std::ifstream in(path);
      if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
      texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (texts.back().rfind("idx\tlabel\tpredict\tradius\tcorrect\t", 0) != 0)
        return absl::InvalidArgumentError(
            absl::StrCat(path,
                         ": not a certification TSV (`warden smooth certify --shard`), which is what "
                         "merge joins"));
    }
    absl::StatusOr<MergedCertification> merged = MergeCertifyTsvs(texts, args);
    if (!merged.ok()) return merged.status();
    const std::string stem = cli::OutputStem(out_, {".tsv", ".svg"});
    if (absl::Status s =
            WriteCertifyOutputs(stem, merged->rows, title_, merged->with_time, merged->with_samples);
        !s.ok()) {
      return s;
    }
    out << AccuracyTable(merged->rows)
        << absl::StrFormat("merged %d files, %d inputs; wrote %s.tsv and %s.svg\n", args.size(),
                           merged->rows.size(), stem, stem);
    return absl::OkStatus();
  }

 private:
  std::string out_ = "merged";
  std::string title_ = "certified accuracy (merged shards)";
};

class ReplayCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "replays a fixed-n certify trace as --radius or --adaptive would have run it on the same draws";
  }
  std::string ArgsUsage() const override { return "RUN.trace.tsv"; }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.Double("radius", &radius_, "decide 'certified at this radius' (-1: off)");
    flags.Bool("adaptive", &adaptive_, "anytime CERTIFY");
    flags.Double("tolerance", &sequential_.tolerance,
                 "--adaptive: stop when the next step gains <= this fraction");
    flags.String("out", &out_, "results: OUT.tsv (or OUT if it ends in .tsv) and the plot beside it (.svg)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.size() != 1) return absl::InvalidArgumentError("expected one trace file");
    absl::StatusOr<std::optional<SequentialOptions>> sequential =
        SequentialFromFlags(radius_, adaptive_, sequential_);
    if (!sequential.ok()) return sequential.status();
    if (!sequential->has_value()) return absl::InvalidArgumentError("give one of --radius and --adaptive");
    std::ifstream in(args[0]);
    if (!in) return absl::NotFoundError(absl::StrCat(args[0], ": cannot open"));
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    absl::StatusOr<Trace> trace = ParseTraceTsv(text);
    if (!trace.ok()) return absl::InvalidArgumentError(absl::StrCat(args[0], ": ", trace.status().message()));
    absl::StatusOr<std::vector<CertifyRow>> rows = ReplaySequential(*trace, **sequential);
    if (!rows.ok()) return rows.status();
    int64_t samples = 0;
    for (const CertifyRow& row : *rows) samples += row.samples;
    const double fixed = static_cast<double>(trace->n0 + trace->n);
    const double per_input =
        rows->empty() ? 0.0 : static_cast<double>(samples) / static_cast<double>(rows->size());
    const std::string mode = ModeName(*sequential, trace->n);
    const std::string stem = cli::OutputStem(out_, {".tsv", ".svg"});
    if (absl::Status s =
            WriteCertifyOutputs(stem, *rows, absl::StrFormat("sigma=%g, %s (replayed)", trace->sigma, mode),
                                /*with_time=*/false, /*with_samples=*/true);
        !s.ok()) {
      return s;
    }
    out << AccuracyTable(*rows)
        << absl::StrFormat("forward passes per input: %.1f of fixed-n's %.0f (%.3fx; %s)\n", per_input, fixed,
                           per_input / fixed, mode)
        << "wrote " << stem << ".tsv and " << stem << ".svg\n";
    return absl::OkStatus();
  }

 private:
  SequentialOptions sequential_;
  double radius_ = -1;
  bool adaptive_ = false;
  std::string out_ = "replay";
};

// CERTIFY's decision from class counts sampled elsewhere (the browser demo, a
// user's own sampler): the same Certify as `certify`, without a model.
class RadiusCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "CERTIFY's prediction and certified L2 radius from class counts (n0 selection, n estimation)";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("selection", &selection_, "comma-separated class counts of the n0 selection draws");
    flags.String("estimation", &estimation_, "comma-separated class counts of the n estimation draws");
    flags.Double("sigma", &sigma_, "noise standard deviation");
    flags.Double("alpha", &alpha_, "failure probability");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("radius takes no arguments");
    if (!(sigma_ > 0) || !(alpha_ > 0 && alpha_ < 1)) {
      return absl::InvalidArgumentError("need --sigma > 0 and 0 < --alpha < 1");
    }
    absl::StatusOr<std::vector<int64_t>> selection = ParseCounts("--selection", selection_);
    if (!selection.ok()) return selection.status();
    absl::StatusOr<std::vector<int64_t>> estimation = ParseCounts("--estimation", estimation_);
    if (!estimation.ok()) return estimation.status();
    if (selection->size() != estimation->size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--selection has ", selection->size(), " classes, --estimation ", estimation->size()));
    }
    const CertifyResult r = Certify(*selection, *estimation, sigma_, alpha_);
    if (r.predicted_class == kAbstain) {
      out << absl::StrFormat("abstain p_a_lower %.17g\n", r.p_a_lower);
    } else {
      out << absl::StrFormat("class %d radius %.17g p_a_lower %.17g\n", r.predicted_class, r.radius_l2,
                             r.p_a_lower);
    }
    return absl::OkStatus();
  }

 private:
  static absl::StatusOr<std::vector<int64_t>> ParseCounts(const std::string& flag, const std::string& text) {
    std::vector<int64_t> counts;
    for (absl::string_view piece : absl::StrSplit(text, ',')) {
      int64_t v = 0;
      if (!absl::SimpleAtoi(piece, &v) || v < 0) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": '", piece, "' is not a count"));
      }
      counts.push_back(v);
    }
    if (counts.size() < 2)
      return absl::InvalidArgumentError(absl::StrCat(flag, " needs at least two classes"));
    return counts;
  }

  std::string selection_, estimation_;
  double sigma_ = 0.25;
  double alpha_ = 0.001;
};

class PlotCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "plots certified accuracy vs radius of one or more certify TSVs in one SVG";
  }
  std::string ArgsUsage() const override { return "RUN.tsv..."; }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("out", &out_, "SVG file to write");
    flags.String("title", &title_, "plot title");
    flags.Double("log_radius", &log_radius_,
                 "if > 0, a logarithmic radius axis from this radius (runs whose radii differ by decades)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.empty()) return absl::InvalidArgumentError("expected at least one TSV file");
    std::vector<std::pair<std::string, std::vector<CertifyRow>>> runs;
    for (const std::string& path : args) {
      std::ifstream in(path);
      if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
      const std::string text((std::istreambuf_iterator<char>(in)), {});
      absl::StatusOr<std::vector<CertifyRow>> rows = ParseCertifyTsv(text);
      if (!rows.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", rows.status().message()));
      out << path << ": " << AccuracyTable(*rows);
      std::string label = path.substr(path.rfind('/') + 1);
      runs.emplace_back(label.substr(0, label.rfind('.')), std::move(*rows));
    }
    if (log_radius_ < 0) return absl::InvalidArgumentError("--log_radius must be >= 0");
    const std::string svg = AccuracyPlot(runs, title_, log_radius_);
    if (absl::Status s = tensor::WriteTextAtomically(out_, svg); !s.ok()) return s;
    out << "wrote " << out_ << "\n";
    return absl::OkStatus();
  }

 private:
  std::string out_ = "certified_accuracy.svg";
  std::string title_ = "certified accuracy";
  double log_radius_ = 0;
};

}  // namespace

void RegisterSmoothCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("smooth", "randomized smoothing: Gaussian-noise training and certification");
  registry.Add("smooth", "train", [] { return std::make_unique<TrainCommand>(); });
  registry.Add("smooth", "certify", [] { return std::make_unique<CertifyCommand>(); });
  registry.Add("smooth", "radius", [] { return std::make_unique<RadiusCommand>(); });
  registry.Add("smooth", "replay", [] { return std::make_unique<ReplayCommand>(); });
  registry.Add("", "merge", [] { return std::make_unique<MergeCommand>(); });
  registry.Add("smooth", "plot", [] { return std::make_unique<PlotCommand>(); });
}

absl::Status RunSmoothingDemo(std::ostream& out) {
  absl::StatusOr<LoadedClassifier> model = LoadClassifierFile("", 10, c10::Device(c10::kCPU));
  if (!model.ok()) return model.status();
  const nlohmann::json& metadata = model->metadata;
  std::unique_ptr<BaseClassifier> classifier = std::move(model->classifier);
  CertifyRunConfig config;
  config.limit = 25;
  config.skip = 400;
  config.smoothing.sigma = 0.25;
  config.smoothing.n = 2000;
  config.smoothing.batch_size = 1000;
  out << "embedded model: " << metadata.value("architecture", "?") << " trained on "
      << metadata.value("dataset", "?") << " at sigma=" << metadata.value("sigma", 0.0) << "\n"
      << "certifying 25 MNIST test digits, sigma=0.25, n0=100, n=2000, alpha=0.001\n";
  absl::StatusOr<std::vector<CertifyRow>> rows = RunCertification(*classifier, config);
  if (!rows.ok()) return rows.status();
  const char* tmp = std::getenv("TMPDIR");
  const std::string prefix = absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/warden-demo-certify-", ::getpid());
  if (absl::Status s = WriteCertifyOutputs(prefix, *rows, "demo: MNIST, sigma=0.25, n=2000"); !s.ok()) {
    return s;
  }
  const double max_radius =
      config.smoothing.sigma *
      NormalQuantile(ClopperPearsonLower(config.smoothing.n, config.smoothing.n, config.smoothing.alpha));
  out << AccuracyTable(*rows) << "(with n = 2000 the largest certifiable radius is "
      << absl::StrFormat("%.3f", max_radius) << "; `warden smooth certify` uses n = 100000)\n"
      << "wrote " << prefix << ".tsv and " << prefix << ".svg\n";
  return absl::OkStatus();
}

}  // namespace warden::smoothing
