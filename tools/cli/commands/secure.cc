#include "tools/cli/commands/secure.h"

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "components/plot/svg_plot.h"
#include "components/secure_learning/measure.h"
#include "components/secure_learning/rdp_core.h"
#include "components/tensor/atomic_file.h"
#include "tools/cli/flags.h"
#include "tools/cli/output.h"
#include "tools/cli/progress.h"

namespace warden::secure_learning {
namespace {

// Mean accuracy and mean certified value of one (dataset, defence, arm) over its settings.
struct Summary {
  double accuracy = 0, certified = 0;
  int rows = 0;
};

std::map<std::string, Summary> Summaries(const MeasureResult& r) {
  std::map<std::string, Summary> out;
  for (const MeasureRow& row : r.rows) {
    Summary& s = out[absl::StrCat(row.dataset, "|", row.defence, "|", row.arm)];
    s.accuracy += row.accuracy;
    s.certified += row.certified;
    ++s.rows;
  }
  for (auto& [key, s] : out) {
    s.accuracy /= s.rows;
    s.certified /= s.rows;
  }
  return out;
}

// The paper's findings (docs/specs/secure_learning.md §6), read off the table.
std::string ReadFindings(const MeasureConfig& c, const MeasureResult& r) {
  const std::map<std::string, Summary> sum = Summaries(r);
  std::string out = "findings (encoder vs pixels, means over each defence's settings):\n";
  for (const std::string& dataset : c.datasets) {
    for (const std::string defence : {"linear probe", "bagging", "kNN", "rNN", "DP-SGD"}) {
      const auto px = sum.find(absl::StrCat(dataset, "|", defence, "|pixels"));
      const auto enc = sum.find(absl::StrCat(dataset, "|", defence, "|encoder"));
      if (px == sum.end() || enc == sum.end()) continue;
      const bool certified =
          defence == std::string("bagging") || defence == std::string("kNN") || defence == std::string("rNN");
      const bool better = enc->second.accuracy >= px->second.accuracy &&
                          (!certified || enc->second.certified >= px->second.certified);
      out += absl::StrFormat("  %s %s: accuracy %.4f -> %.4f", dataset, defence, px->second.accuracy,
                             enc->second.accuracy);
      if (certified)
        out += absl::StrFormat(", mean certified poisoning size %.2f -> %.2f", px->second.certified,
                               enc->second.certified);
      out += better ? "  [encoder helps]\n" : "  [encoder does not help here]\n";
    }
  }
  out += "  randomized smoothing and SISA: not measured by this verb yet\n";
  return out;
}

class MeasureCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "every defence with and without a self-supervised encoder on MNIST and Fashion-MNIST: one table";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("preset", &preset_, "ci (under two minutes) or full (docs/specs/secure_learning.md §7)");
    flags.String("datasets", &datasets_, "comma list of mnist, fashion-mnist (empty: the preset's)");
    flags.Int("tests", &tests_, "test images (< 0: the preset's)");
    flags.Int("encoder_epochs", &encoder_epochs_, "SimCLR epochs (< 0: the preset's)");
    flags.String(
        "encoder_dir", &encoder_dir_,
        "encoders cached here as encoder_<dataset>.safetensors (loaded if present); empty: not saved");
    flags.Int("seed", &seed_, "seed of encoders, bagging subsamples and DP noise");
    flags.String("out", &out_, "table (.tsv); beside it _bagging.svg, _knn.svg, _dp.svg");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("measure takes no arguments");
    MeasureConfig c;
    if (preset_ == "ci") {
      c = CiPreset();
    } else if (preset_ == "full") {
      c = FullPreset();
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--preset must be ci or full, not '", preset_, "'"));
    }
    if (!datasets_.empty()) {
      c.datasets.clear();
      for (absl::string_view d : absl::StrSplit(datasets_, ',', absl::SkipWhitespace())) {
        if (d != "mnist" && d != "fashion-mnist")
          return absl::InvalidArgumentError(absl::StrCat("--datasets: unknown data set '", d, "'"));
        c.datasets.emplace_back(d);
      }
    }
    if (tests_ >= 0) c.tests = tests_;
    if (encoder_epochs_ >= 0) c.simclr.epochs = encoder_epochs_;
    if (!absl::EndsWith(out_, ".tsv"))
      return absl::InvalidArgumentError(absl::StrCat("--out must end in .tsv: ", out_));
    c.encoder_dir = encoder_dir_;
    c.seed = static_cast<uint64_t>(seed_);
    absl::StatusOr<MeasureResult> r =
        RunMeasurement(c, [](const std::string& line) { cli::ShowProgress(line); });
    cli::ShowProgress("", true);
    if (!r.ok()) return r.status();

    std::string radii_header;
    for (int64_t radius : r->radii) absl::StrAppend(&radii_header, "\tCA(r=", radius, ")");
    std::string tsv = absl::StrCat("dataset\tdefence\tsetting\tarm\taccuracy\tcertified", radii_header, "\n");
    out << absl::StrFormat(
        "secure-learning measurement, preset %s: %d labelled / %d unlabeled images, %d tests\n", preset_,
        c.labelled, c.unlabeled, c.tests);
    out << "certified: bagging / kNN / rNN = mean certified poisoning size (0 when wrong); DP-SGD = epsilon "
           "spent\n";
    out << absl::StrCat("dataset\tdefence\tsetting\tarm\taccuracy\tcertified", radii_header, "\n");
    for (const MeasureRow& row : r->rows) {
      std::string line = absl::StrFormat("%s\t%s\t%s\t%s\t%.4f\t%.4f", row.dataset, row.defence, row.setting,
                                         row.arm, row.accuracy, row.certified);
      for (size_t i = 0; i < r->radii.size(); ++i) {
        line +=
            i < row.certified_accuracy.size() ? absl::StrFormat("\t%.4f", row.certified_accuracy[i]) : "\t-";
      }
      out << line << "\n";
      tsv += line + "\n";
    }
    for (const std::string& note : r->notes) out << "note: " << note << "\n";
    out << ReadFindings(c, *r);
    if (absl::Status s = tensor::WriteTextAtomically(out_, tsv); !s.ok()) return s;
    if (absl::Status s = WritePlots(c, *r); !s.ok()) return s;
    out << absl::StrFormat("measured in %.0f s; wrote %s and its _bagging.svg, _knn.svg, _dp.svg\n",
                           r->seconds, out_);
    return absl::OkStatus();
  }

 private:
  // Certified accuracy vs poisoning size for the first bagging and the
  // middle kNN setting, and DP accuracy vs epsilon, one series per (data set, arm).
  absl::Status WritePlots(const MeasureConfig& c, const MeasureResult& r) const {
    const std::string stem = cli::OutputStem(out_, {".tsv"});
    std::vector<double> radii(r.radii.begin(), r.radii.end());
    const std::string bag_setting =
        absl::StrFormat("k=%d N=%d", c.bagging_subsamples.front(), c.bagging_models);
    const std::string knn_setting = absl::StrCat("K=", c.knn_k[c.knn_k.size() / 2]);
    for (const auto& [defence, setting, suffix] :
         {std::tuple{"bagging", bag_setting, "_bagging.svg"}, std::tuple{"kNN", knn_setting, "_knn.svg"}}) {
      std::vector<plot::Series> series;
      for (const MeasureRow& row : r.rows) {
        if (row.defence == defence && row.setting == setting)
          series.push_back({absl::StrCat(row.dataset, " ", row.arm), radii, row.certified_accuracy});
      }
      plot::LinePlotOptions o;
      o.title = absl::StrCat(defence, " ", setting, ": certified accuracy vs poisoning size");
      o.x_label = "poisoning size r";
      o.y_label = "certified accuracy";
      o.y_min = 0;
      o.y_max = 1;
      if (absl::Status s = tensor::WriteTextAtomically(stem + suffix, plot::RenderLinePlot(series, o));
          !s.ok())
        return s;
    }
    std::map<std::string, plot::Series> dp;
    for (const MeasureRow& row : r.rows) {
      if (row.defence != "DP-SGD") continue;
      plot::Series& s = dp[absl::StrCat(row.dataset, " ", row.arm)];
      s.label = absl::StrCat(row.dataset, " ", row.arm);
      s.x.push_back(row.certified);
      s.y.push_back(row.accuracy);
    }
    std::vector<plot::Series> dp_series;
    for (auto& [key, s] : dp) dp_series.push_back(s);
    plot::LinePlotOptions o;
    o.title = "DP-SGD linear heads: accuracy vs epsilon (delta 1e-5)";
    o.x_label = "epsilon";
    o.y_label = "test accuracy";
    o.y_min = 0;
    o.y_max = 1;
    return tensor::WriteTextAtomically(stem + "_dp.svg", plot::RenderLinePlot(dp_series, o));
  }

  std::string preset_ = "ci", datasets_, encoder_dir_, out_ = "secure.tsv";
  int64_t tests_ = -1, encoder_epochs_ = -1, seed_ = 0;
};

class AccountantCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "epsilon of DP-SGD (sampled Gaussian, RDP accountant), or the noise for a target epsilon";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.Double("q", &q_, "sampling rate (expected batch / data set size)");
    flags.Double("sigma", &sigma_, "noise multiplier (< 0: find it for --epsilon)");
    flags.Double("epsilon", &epsilon_, "target epsilon when --sigma < 0");
    flags.Int("steps", &steps_, "DP-SGD steps");
    flags.Double("delta", &delta_, "delta");
    flags.String("orders", &orders_, "opacus (151 orders from 1.1 to 63), integer (2..63) or a comma list");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("accountant takes no arguments");
    if (!(q_ > 0 && q_ <= 1) || steps_ < 1 || !(delta_ > 0 && delta_ < 1))
      return absl::InvalidArgumentError("need --q in (0, 1], --steps >= 1 and --delta in (0, 1)");
    std::vector<double> orders;
    if (orders_ == "opacus") {
      orders = DefaultOrders();
    } else if (orders_ == "integer") {
      orders = IntegerOrders();
    } else {
      absl::StatusOr<std::vector<double>> parsed = cli::ParseNumberList("orders", orders_);
      if (!parsed.ok()) return parsed.status();
      for (double a : *parsed)
        if (!(a > 1))
          return absl::InvalidArgumentError(absl::StrCat("--orders: an order must be > 1, got ", a));
      orders = *parsed;
    }
    double sigma = sigma_;
    if (sigma < 0) {
      if (!(epsilon_ > 0)) return absl::InvalidArgumentError("--sigma < 0 needs --epsilon > 0");
      sigma = NoiseForEpsilon(epsilon_, q_, steps_, delta_, orders, RdpConversion::kImproved);
      if (std::isnan(sigma))
        return absl::InvalidArgumentError("no noise multiplier up to 2^20 reaches --epsilon");
      out << absl::StrFormat("noise multiplier for epsilon <= %g: %.2f\n", epsilon_, sigma);
    }
    for (const auto& [name, conversion] :
         {std::pair{"classic", RdpConversion::kClassic}, std::pair{"improved", RdpConversion::kImproved}}) {
      const PrivacySpent s = DpSgdEpsilon(q_, sigma, steps_, delta_, orders, conversion);
      out << absl::StrFormat("%s conversion: epsilon %.6f at order %g%s\n", name, s.epsilon, s.order,
                             s.at_boundary ? " (the edge of the orders: widen them)" : "");
    }
    return absl::OkStatus();
  }

 private:
  double q_ = 256.0 / 60000, sigma_ = 1.1, epsilon_ = -1, delta_ = 1e-5;
  int64_t steps_ = 14062;
  std::string orders_ = "opacus";
};

}  // namespace

void RegisterSecureCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("secure",
                    "pre-trained encoders for secure learning: bagging, kNN, DP-SGD with and without");
  registry.Add("secure", "measure", [] { return std::make_unique<MeasureCommand>(); });
  registry.Add("secure", "accountant", [] { return std::make_unique<AccountantCommand>(); });
}

}  // namespace warden::secure_learning
