#include "components/smoothing/certify_run.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

std::string AccuracyPlot(const std::vector<CertifyRow>& rows, const std::string& title) {
  std::vector<double> radii = {0.0};
  for (const CertifyRow& r : rows) {
    if (r.correct) radii.push_back(r.radius);
  }
  std::sort(radii.begin(), radii.end());
  radii.erase(std::unique(radii.begin(), radii.end()), radii.end());
  const double max_radius = std::max(2.0, radii.back());
  radii.push_back(max_radius);
  plot::Series curve{"certified accuracy", radii, CertifiedAccuracy(rows, radii), /*step=*/true};
  plot::LinePlotOptions options;
  options.title = title;
  options.x_label = "L2 radius";
  options.y_label = "certified accuracy";
  options.x_min = 0;
  options.x_max = max_radius;
  options.y_min = 0;
  options.y_max = 1;
  return plot::RenderLinePlot({curve}, options);
}

absl::Status WriteCertifyOutputs(const std::string& prefix, const std::vector<CertifyRow>& rows,
                                 const std::string& title, bool with_time) {
  const std::string tsv = CertifyTsv(rows, with_time);
  if (absl::Status s = tensor::WriteFileAtomically(prefix + ".tsv", {{tsv.data(), tsv.size()}});
      !s.ok()) {
    return s;
  }
  const std::string svg = AccuracyPlot(rows, title);
  return tensor::WriteFileAtomically(prefix + ".svg", {{svg.data(), svg.size()}});
}

}  // namespace warden::smoothing
