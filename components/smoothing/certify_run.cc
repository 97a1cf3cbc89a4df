#include "components/smoothing/certify_run.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "components/plot/svg_plot.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/datasets.h"

namespace warden::smoothing {

absl::StatusOr<std::vector<CertifyRow>> RunCertification(
    BaseClassifier& f, const CertifyRunConfig& config,
    const std::function<void(int64_t, int64_t, const CertifyRow&)>& progress) {
  if (config.limit < 1 || config.skip < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("need --limit >= 1 and --skip >= 1, got ", config.limit, " and ", config.skip));
  }
  absl::StatusOr<tensor::ImageDataset> test =
      tensor::LoadImageDataset(config.dataset, tensor::Split::kTest);
  if (!test.ok()) return test.status();
  const int64_t available = (test->images.size(0) + config.skip - 1) / config.skip;
  const int64_t total = std::min(config.limit, available);
  std::vector<CertifyRow> rows;
  for (int64_t i = 0; i < total; ++i) {
    const int64_t index = i * config.skip;
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<CertifyResult> result =
        CertifyInput(f, test->images[index], config.smoothing, static_cast<uint64_t>(index));
    if (!result.ok()) return result.status();
    CertifyRow row;
    row.index = index;
    row.label = test->labels[index].item<int64_t>();
    row.predicted = result->predicted_class;
    row.radius = result->radius_l2;
    row.correct = result->predicted_class == row.label;
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rows.push_back(row);
    if (progress) progress(i + 1, total, row);
  }
  return rows;
}

std::vector<double> CertifiedAccuracy(const std::vector<CertifyRow>& rows,
                                      const std::vector<double>& radii) {
  std::vector<double> accuracy;
  for (double r : radii) {
    const auto hits = std::count_if(rows.begin(), rows.end(), [r](const CertifyRow& row) {
      return row.correct && row.radius >= r;
    });
    accuracy.push_back(rows.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(rows.size()));
  }
  return accuracy;
}

std::string CertifyTsv(const std::vector<CertifyRow>& rows, bool with_time) {
  std::string out = "idx\tlabel\tpredict\tradius\tcorrect\ttime\n";
  for (const CertifyRow& r : rows) {
    absl::StrAppendFormat(&out, "%d\t%d\t%d\t%.6f\t%d\t%s\n", r.index, r.label, r.predicted,
                          r.radius, r.correct ? 1 : 0,
                          with_time ? absl::StrFormat("%.4f", r.seconds) : std::string("-"));
  }
  return out;
}

std::string AccuracyTable(const std::vector<CertifyRow>& rows) {
  const std::vector<double> accuracy = CertifiedAccuracy(rows, kReportRadii);
  std::string out = absl::StrFormat("certified accuracy over %d inputs\n  radius  ", rows.size());
  for (double r : kReportRadii) absl::StrAppendFormat(&out, "%6.2f", r);
  out += "\n  acc     ";
  for (double a : accuracy) absl::StrAppendFormat(&out, "%6.3f", a);
  out += "\n";
  return out;
}

namespace {

plot::Series AccuracyCurve(const std::string& label, const std::vector<CertifyRow>& rows,
                           double max_radius) {
  std::vector<double> radii = {0.0};
  for (const CertifyRow& r : rows) {
    if (r.correct) radii.push_back(r.radius);
  }
  std::sort(radii.begin(), radii.end());
  radii.erase(std::unique(radii.begin(), radii.end()), radii.end());
  // Just past the largest certified radius the curve drops to 0.
  radii.push_back(std::nextafter(radii.back(), max_radius + 1));
  if (radii.back() < max_radius) radii.push_back(max_radius);
  return {label, radii, CertifiedAccuracy(rows, radii), /*step=*/true};
}

}  // namespace

std::string AccuracyPlot(const std::vector<std::pair<std::string, std::vector<CertifyRow>>>& runs,
                         const std::string& title) {
  double max_radius = 2.0;  // the report's last column, so runs are comparable
  for (const auto& [label, rows] : runs) {
    for (const CertifyRow& r : rows) max_radius = std::max(max_radius, r.radius);
  }
  std::vector<plot::Series> curves;
  for (const auto& [label, rows] : runs) curves.push_back(AccuracyCurve(label, rows, max_radius));
  plot::LinePlotOptions options;
  options.title = title;
  options.x_label = "L2 radius";
  options.y_label = "certified accuracy";
  options.x_min = 0;
  options.x_max = max_radius;
  options.y_min = 0;
  options.y_max = 1;
  return plot::RenderLinePlot(curves, options);
}

std::string AccuracyPlot(const std::vector<CertifyRow>& rows, const std::string& title) {
  return AccuracyPlot({{"certified accuracy", rows}}, title);
}

absl::StatusOr<std::vector<CertifyRow>> ParseCertifyTsv(const std::string& text) {
  std::vector<CertifyRow> rows;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++line_number;
    if (line_number == 1) {
      if (line != "idx\tlabel\tpredict\tradius\tcorrect\ttime") {
        return absl::InvalidArgumentError("not a certify TSV: bad header");
      }
      continue;
    }
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    CertifyRow row;
    int correct = 0, predicted = 0;
    if (f.size() != 6 || !absl::SimpleAtoi(f[0], &row.index) || !absl::SimpleAtoi(f[1], &row.label) ||
        !absl::SimpleAtoi(f[2], &predicted) || !absl::SimpleAtod(f[3], &row.radius) ||
        !absl::SimpleAtoi(f[4], &correct) || (correct != 0 && correct != 1) ||
        !(std::isfinite(row.radius) && row.radius >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, " is malformed"));
    }
    row.predicted = predicted;
    row.correct = correct == 1;
    row.seconds = 0;
    if (f[5] != "-" && !absl::SimpleAtod(f[5], &row.seconds)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": bad time"));
    }
    rows.push_back(row);
  }
  if (line_number == 0) return absl::InvalidArgumentError("not a certify TSV: empty");
  return rows;
}

absl::Status WriteCertifyOutputs(const std::string& prefix, const std::vector<CertifyRow>& rows,
                                 const std::string& title, bool with_time) {
  const std::string tsv = CertifyTsv(rows, with_time);
  if (absl::Status s = tensor::WriteTextAtomically(prefix + ".tsv", tsv); !s.ok()) {
    return s;
  }
  const std::string svg = AccuracyPlot(rows, title);
  return tensor::WriteTextAtomically(prefix + ".svg", svg);
}

}  // namespace warden::smoothing
