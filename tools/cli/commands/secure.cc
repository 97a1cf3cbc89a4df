#include "tools/cli/commands/secure.h"

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
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

bool IsSmoothing(const MeasureRow& row) { return row.defence == "randomized smoothing"; }

// SISA's accuracy at the fewest and the most shards of one (dataset, arm), at the first slice count.
std::pair<const MeasureRow*, const MeasureRow*> SisaEnds(const MeasureResult& r, const std::string& dataset,
                                                         const std::string& arm, const std::string& slices) {
  const MeasureRow *first = nullptr, *last = nullptr;
  for (const MeasureRow& row : r.rows) {
    if (row.dataset != dataset || row.arm != arm || row.defence != "SISA" ||
        !absl::EndsWith(row.setting, slices))
      continue;
    if (first == nullptr) first = &row;
    last = &row;
  }
  return {first, last};
}

// The paper's findings (docs/specs/secure_learning.md §6), read off the table.
std::string ReadFindings(const MeasureConfig& c, const MeasureResult& r) {
  const std::map<std::string, Summary> sum = Summaries(r);
  std::string out = "findings (encoder vs pixels, means over each defence's settings):\n";
  for (const std::string& dataset : c.datasets) {
    for (const std::string defence :
         {"linear probe", "bagging", "kNN", "rNN", "DP-SGD", "randomized smoothing"}) {
      const auto px = sum.find(absl::StrCat(dataset, "|", defence, "|pixels"));
      const auto enc = sum.find(absl::StrCat(dataset, "|", defence, "|encoder"));
      if (px == sum.end() || enc == sum.end()) continue;
      const bool smoothing = defence == std::string("randomized smoothing");
      const bool certified = smoothing || defence == std::string("bagging") ||
                             defence == std::string("kNN") || defence == std::string("rNN");
      const bool better = enc->second.accuracy >= px->second.accuracy &&
                          (!certified || enc->second.certified >= px->second.certified);
      out += absl::StrFormat("  %s %s: accuracy %.4f -> %.4f", dataset, defence, px->second.accuracy,
                             enc->second.accuracy);
      if (certified)
        out += absl::StrFormat(", mean certified %s %.3f -> %.3f", smoothing ? "l2 radius" : "poisoning size",
                               px->second.certified, enc->second.certified);
      out += better ? "  [encoder helps]\n" : "  [encoder does not help here]\n";
    }
    if (c.sisa_shards.size() >= 2 && !c.sisa_slices.empty()) {
      const std::string slices = absl::StrCat(" R=", c.sisa_slices.front());
      const auto [px_first, px_last] = SisaEnds(r, dataset, "pixels", slices);
      const auto [enc_first, enc_last] = SisaEnds(r, dataset, "encoder", slices);
      if (px_first != nullptr && enc_first != nullptr) {
        out += absl::StrFormat(
            "  %s SISA%s, %s -> %s: pixels %.4f -> %.4f, encoder %.4f -> %.4f; a deletion retrains "
            "%.3f of a full retrain at %s",
            dataset, slices, px_first->setting.substr(0, px_first->setting.find(' ')),
            px_last->setting.substr(0, px_last->setting.find(' ')), px_first->accuracy, px_last->accuracy,
            enc_first->accuracy, enc_last->accuracy, enc_last->certified,
            enc_last->setting.substr(0, enc_last->setting.find(' ')));
        out += enc_last->accuracy >= px_last->accuracy ? "  [encoder helps]\n"
                                                       : "  [encoder does not help here]\n";
      }
    }
  }
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
    flags.String(
        "out", &out_,
        "table (.tsv); beside it _rs.tsv and _sisa.tsv (with wall times) and _bagging.svg, _knn.svg, "
        "_dp.svg, _rs.svg, _sisa.svg");
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
           "spent; randomized smoothing = mean certified l2 radius (0 when wrong or abstaining; its "
           "certified accuracy by radius is in _rs.tsv); SISA = compute of one deletion / a full retrain\n";
    out << absl::StrCat("dataset\tdefence\tsetting\tarm\taccuracy\tcertified", radii_header, "\n");
    for (const MeasureRow& row : r->rows) {
      std::string line = absl::StrFormat("%s\t%s\t%s\t%s\t%.4f\t%.4f", row.dataset, row.defence, row.setting,
                                         row.arm, row.accuracy, row.certified);
      for (size_t i = 0; i < r->radii.size(); ++i) {
        line += !IsSmoothing(row) && i < row.certified_accuracy.size()
                    ? absl::StrFormat("\t%.4f", row.certified_accuracy[i])
                    : "\t-";
      }
      out << line << "\n";
      tsv += line + "\n";
    }
    for (const std::string& note : r->notes) out << "note: " << note << "\n";
    out << ReadFindings(c, *r);
    if (absl::Status s = tensor::WriteTextAtomically(out_, tsv); !s.ok()) return s;
    if (absl::Status s = WriteSideTables(*r); !s.ok()) return s;
    if (absl::Status s = WritePlots(c, *r); !s.ok()) return s;
    out << absl::StrFormat(
        "measured in %.0f s; wrote %s and its _rs.tsv, _sisa.tsv, _bagging.svg, _knn.svg, _dp.svg, _rs.svg, "
        "_sisa.svg\n",
        r->seconds, out_);
    return absl::OkStatus();
  }

 private:
  // Randomized smoothing's certified accuracy by l2 radius, and SISA's wall
  // times (a deletion vs a full retrain).
  absl::Status WriteSideTables(const MeasureResult& r) const {
    const std::string stem = cli::OutputStem(out_, {".tsv"});
    std::string rs = "dataset\tsetting\tarm\taccuracy\tmean radius\tseconds";
    for (double radius : r.l2_radii) absl::StrAppend(&rs, absl::StrFormat("\tCA(r=%g)", radius));
    rs += "\n";
    std::string sisa =
        "dataset\tsetting\tarm\taccuracy\tdeletion share\tseconds per deletion\tfull retrain seconds\t"
        "speed-up\n";
    for (const MeasureRow& row : r.rows) {
      if (IsSmoothing(row)) {
        rs += absl::StrFormat("%s\t%s\t%s\t%.4f\t%.4f\t%.1f", row.dataset, row.setting, row.arm, row.accuracy,
                              row.certified, row.seconds);
        for (double ca : row.certified_accuracy) absl::StrAppend(&rs, absl::StrFormat("\t%.4f", ca));
        rs += "\n";
      } else if (row.defence == "SISA") {
        sisa += absl::StrFormat("%s\t%s\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.1f\n", row.dataset, row.setting,
                                row.arm, row.accuracy, row.certified, row.seconds, row.retrain_seconds,
                                row.seconds > 0 ? row.retrain_seconds / row.seconds : 0.0);
      }
    }
    if (absl::Status s = tensor::WriteTextAtomically(stem + "_rs.tsv", rs); !s.ok()) return s;
    return tensor::WriteTextAtomically(stem + "_sisa.tsv", sisa);
  }

  static plot::LinePlotOptions Axes(std::string title, std::string x_label, std::string y_label) {
    plot::LinePlotOptions o;
    o.title = std::move(title);
    o.x_label = std::move(x_label);
    o.y_label = std::move(y_label);
    o.y_min = 0;
    o.y_max = 1;
    return o;
  }

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
      const plot::LinePlotOptions o =
          Axes(absl::StrCat(defence, " ", setting, ": certified accuracy vs poisoning size"),
               "poisoning size r", "certified accuracy");
      if (absl::Status s = tensor::WriteTextAtomically(stem + suffix, plot::RenderLinePlot(series, o));
          !s.ok())
        return s;
    }
    std::vector<plot::Series> rs;
    std::map<std::string, plot::Series> sisa;
    for (const MeasureRow& row : r.rows) {
      if (IsSmoothing(row)) {
        rs.push_back(
            {absl::StrCat(row.dataset, " ", row.arm, " ", row.setting.substr(0, row.setting.find(' '))),
             r.l2_radii, row.certified_accuracy});
      } else if (row.defence == "SISA") {
        // "S=10 R=4": one series per (data set, arm, R), accuracy against S.
        const size_t space = row.setting.find(' ');
        plot::Series& s = sisa[absl::StrCat(row.dataset, " ", row.arm, " ", row.setting.substr(space + 1))];
        s.label = absl::StrCat(row.dataset, " ", row.arm, " ", row.setting.substr(space + 1));
        s.x.push_back(std::stod(row.setting.substr(2, space - 2)));
        s.y.push_back(row.accuracy);
      }
    }
    if (absl::Status s = tensor::WriteTextAtomically(
            stem + "_rs.svg",
            plot::RenderLinePlot(rs, Axes("randomized smoothing: certified accuracy vs l2 radius",
                                          "l2 radius", "certified accuracy")));
        !s.ok())
      return s;
    std::vector<plot::Series> sisa_series;
    for (auto& [key, s] : sisa) sisa_series.push_back(s);
    if (absl::Status s = tensor::WriteTextAtomically(
            stem + "_sisa.svg",
            plot::RenderLinePlot(sisa_series, Axes("SISA: accuracy vs shards", "shards S", "test accuracy")));
        !s.ok())
      return s;
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
    return tensor::WriteTextAtomically(
        stem + "_dp.svg",
        plot::RenderLinePlot(dp_series, Axes("DP-SGD linear heads: accuracy vs epsilon (delta 1e-5)",
                                             "epsilon", "test accuracy")));
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

absl::Status RunSecureDemo(std::ostream& out) {
  MeasureConfig c = CiPreset();  // smaller still: a demo step takes about a minute
  c.datasets = {"mnist"};
  c.unlabeled = 2000;
  c.labelled = 2000;
  c.tests = 100;
  c.simclr.batch_size = 64;
  c.bagging_models = 50;
  c.rs_tests = 10;
  c.cross_domain = false;
  out << absl::StrFormat(
      "every defence on MNIST with and without a SimCLR encoder (pre-trained for %d epoch on %d "
      "unlabeled images; %d labelled, %d tests; `warden secure measure --preset=full` runs the "
      "spec's sizes)\n",
      c.simclr.epochs, c.unlabeled, c.labelled, c.tests);
  absl::StatusOr<MeasureResult> r =
      RunMeasurement(c, [](const std::string& line) { cli::ShowProgress(line); });
  cli::ShowProgress("", true);
  if (!r.ok()) return r.status();
  // One line per (defence, setting): pixels beside encoder.
  std::map<std::pair<std::string, std::string>, std::map<std::string, const MeasureRow*>> by_setting;
  std::vector<std::pair<std::string, std::string>> order;
  for (const MeasureRow& row : r->rows) {
    // rNN's rho is calibrated per arm: its rows pair up by defence alone.
    const std::pair<std::string, std::string> key{row.defence, row.defence == "rNN" ? "-" : row.setting};
    if (!by_setting.count(key)) order.push_back(key);
    by_setting[key][row.arm] = &row;
  }
  out << "defence\tsetting\tpixels acc\tencoder acc\tpixels cert.\tencoder cert.\n";
  for (const auto& key : order) {
    const auto& arms = by_setting[key];
    if (!arms.count("pixels") || !arms.count("encoder")) continue;
    out << absl::StrFormat("%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\n", key.first, key.second,
                           arms.at("pixels")->accuracy, arms.at("encoder")->accuracy,
                           arms.at("pixels")->certified, arms.at("encoder")->certified);
  }
  out << ReadFindings(c, *r);
  return absl::OkStatus();
}

void RegisterSecureCommands(cli::CommandRegistry& registry) {
  registry.AddGroup(
      "secure",
      "pre-trained encoders for secure learning: bagging, kNN, smoothing, DP-SGD, SISA with and "
      "without");
  registry.Add("secure", "measure", [] { return std::make_unique<MeasureCommand>(); });
  registry.Add("secure", "accountant", [] { return std::make_unique<AccountantCommand>(); });
}

}  // namespace warden::secure_learning
