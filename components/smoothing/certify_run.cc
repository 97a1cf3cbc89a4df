#include "components/smoothing/certify_run.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "components/plot/svg_plot.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/datasets.h"

namespace warden::smoothing {

namespace {

absl::StatusOr<SequentialSchedule> TraceSchedule(int64_t first, int64_t n, int64_t batch, double alpha) {
  SequentialSchedule schedule;
  std::string error;
  if (!MakeDoublingSchedule(first, n, batch, alpha, &schedule, &error)) {
    return absl::InvalidArgumentError(error);
  }
  return schedule;
}

// CertifyInput, drawing the estimation samples checkpoint by checkpoint (the
// same draws: ranges add up) and recording ĉ_A's count at each.
absl::StatusOr<CertifyResult> CertifyWithTrace(BaseClassifier& f, const at::Tensor& x,
                                               const CertifyRunConfig& config, int64_t index,
                                               CertifyRow* row) {
  const SmoothingOptions& options = config.smoothing;
  absl::StatusOr<SequentialSchedule> schedule =
      TraceSchedule(config.trace_first, options.n, options.batch_size, options.alpha);
  if (!schedule.ok()) return schedule.status();
  const auto id = static_cast<uint64_t>(index);
  absl::StatusOr<std::vector<int64_t>> selection =
      SampleCounts(f, x, options.n0, options, id, SamplePhase::kSelection);
  if (!selection.ok()) return selection.status();
  row->top = ArgMax(*selection);
  std::vector<int64_t> estimation(selection->size(), 0);
  int64_t drawn = 0;
  for (int64_t checkpoint : schedule->checkpoints) {
    absl::StatusOr<std::vector<int64_t>> counts =
        SampleCountsRange(f, x, drawn, checkpoint, options, id, SamplePhase::kEstimation);
    if (!counts.ok()) return counts.status();
    for (size_t c = 0; c < estimation.size(); ++c) estimation[c] += (*counts)[c];
    drawn = checkpoint;
    row->trace.push_back(row->top >= 0 ? estimation[static_cast<size_t>(row->top)] : 0);
  }
  return Certify(*selection, estimation, options.sigma, options.alpha);
}

}  // namespace

absl::StatusOr<std::vector<CertifyRow>> RunCertification(
    BaseClassifier& f, const CertifyRunConfig& config,
    const std::function<void(int64_t, int64_t, const CertifyRow&)>& progress) {
  if (config.trace_first > 0 && config.sequential.has_value()) {
    return absl::InvalidArgumentError("a trace is recorded by fixed-n runs only");
  }
  if (config.shard.count < 1 || config.shard.index < 0 || config.shard.index >= config.shard.count) {
    return absl::InvalidArgumentError(absl::StrCat("shard ", config.shard.ToString(), " is out of range"));
  }
  if (config.limit < 1 || config.skip < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("need --limit >= 1 and --skip >= 1, got ", config.limit, " and ", config.skip));
  }
  absl::StatusOr<tensor::ImageDataset> test = tensor::LoadImageDataset(config.dataset, tensor::Split::kTest);
  if (!test.ok()) return test.status();
  const int64_t available = (test->images.size(0) + config.skip - 1) / config.skip;
  const int64_t inputs = std::min(config.limit, available);
  const int64_t total = config.shard.OwnedOf(inputs);
  std::vector<CertifyRow> rows;
  for (int64_t i = 0; i < inputs; ++i) {
    if (!config.shard.Owns(i)) continue;
    const int64_t index = i * config.skip;
    const auto start = std::chrono::steady_clock::now();
    CertifyRow row;
    row.index = index;
    row.label = test->labels[index].item<int64_t>();
    if (config.sequential.has_value()) {
      absl::StatusOr<SequentialResult> result = CertifySequential(
          f, test->images[index], config.smoothing, *config.sequential, static_cast<uint64_t>(index));
      if (!result.ok()) return result.status();
      row.predicted = result->predicted_class;
      row.radius = result->radius;
      row.samples = config.smoothing.n0 + result->samples;
    } else if (config.trace_first > 0) {
      absl::StatusOr<CertifyResult> result = CertifyWithTrace(f, test->images[index], config, index, &row);
      if (!result.ok()) return result.status();
      row.predicted = result->predicted_class;
      row.radius = result->radius_l2;
      row.samples = config.smoothing.n0 + config.smoothing.n;
    } else {
      absl::StatusOr<CertifyResult> result =
          CertifyInput(f, test->images[index], config.smoothing, static_cast<uint64_t>(index));
      if (!result.ok()) return result.status();
      row.predicted = result->predicted_class;
      row.radius = result->radius_l2;
      row.samples = config.smoothing.n0 + config.smoothing.n;
    }
    row.correct = row.predicted == row.label;
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rows.push_back(row);
    if (progress) progress(static_cast<int64_t>(rows.size()), total, row);
  }
  return rows;
}

std::vector<double> CertifiedAccuracy(const std::vector<CertifyRow>& rows, const std::vector<double>& radii) {
  std::vector<double> accuracy;
  for (double r : radii) {
    const auto hits = std::count_if(rows.begin(), rows.end(),
                                    [r](const CertifyRow& row) { return row.correct && row.radius >= r; });
    accuracy.push_back(rows.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(rows.size()));
  }
  return accuracy;
}

namespace {

constexpr char kHeader[] = "idx\tlabel\tpredict\tradius\tcorrect\ttime";
constexpr char kHeaderWithSamples[] = "idx\tlabel\tpredict\tradius\tcorrect\tsamples\ttime";

}  // namespace

std::string CertifyTsv(const std::vector<CertifyRow>& rows, bool with_time, bool with_samples) {
  std::string out = absl::StrCat(with_samples ? kHeaderWithSamples : kHeader, "\n");
  for (const CertifyRow& r : rows) {
    absl::StrAppendFormat(&out, "%d\t%d\t%d\t%.6f\t%d\t", r.index, r.label, r.predicted, r.radius,
                          r.correct ? 1 : 0);
    if (with_samples) absl::StrAppend(&out, r.samples, "\t");
    absl::StrAppend(&out, with_time ? absl::StrFormat("%.4f", r.seconds) : std::string("-"), "\n");
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

plot::Series AccuracyCurve(const std::string& label, const std::vector<CertifyRow>& rows, double max_radius) {
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
                         const std::string& title, double log_from) {
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
  options.x_min = log_from > 0 ? log_from : 0;
  options.x_max = max_radius;
  options.log_x = log_from > 0;
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
  bool with_samples = false;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++line_number;
    if (line_number == 1) {
      with_samples = line == kHeaderWithSamples;
      if (line != kHeader && !with_samples)
        return absl::InvalidArgumentError("not a certify TSV: bad header");
      continue;
    }
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    CertifyRow row;
    int correct = 0, predicted = 0;
    if (with_samples) {
      if (f.size() != 7 || !absl::SimpleAtoi(f[5], &row.samples) || row.samples < 0) {
        return absl::InvalidArgumentError(absl::StrCat("line ", line_number, " is malformed"));
      }
      f.erase(f.begin() + 5);
    }
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

absl::StatusOr<MergedCertification> MergeCertifyTsvs(const std::vector<std::string>& texts,
                                                     const std::vector<std::string>& names) {
  if (texts.empty()) return absl::InvalidArgumentError("nothing to merge");
  std::string header;
  std::optional<bool> timed;
  MergedCertification merged;
  std::vector<CertifyRow>& rows = merged.rows;
  for (size_t f = 0; f < texts.size(); ++f) {
    auto fail = [&](absl::string_view why) {
      const std::string name = f < names.size() ? names[f] : absl::StrCat("file ", f + 1);
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", why));
    };
    absl::StatusOr<std::vector<CertifyRow>> part = ParseCertifyTsv(texts[f]);
    if (!part.ok()) return fail(part.status().message());
    const std::string first_line = texts[f].substr(0, texts[f].find('\n'));
    if (f == 0) header = first_line;
    if (first_line != header) return fail("its columns differ from the first file's");
    // The time column: "-" on every row (--notime) or on none.
    for (absl::string_view line : absl::StrSplit(texts[f], '\n', absl::SkipEmpty())) {
      if (line == first_line) continue;
      const bool has_time = !absl::EndsWith(line, "\t-");
      if (!timed.has_value()) timed = has_time;
      if (*timed != has_time) return fail("mixes timed rows with --notime rows");
    }
    rows.insert(rows.end(), part->begin(), part->end());
  }
  std::sort(rows.begin(), rows.end(),
            [](const CertifyRow& a, const CertifyRow& b) { return a.index < b.index; });
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].index == rows[i - 1].index)
      return absl::InvalidArgumentError(absl::StrCat("input ", rows[i].index, " is in two files"));
  }
  merged.with_time = timed.value_or(false);
  merged.with_samples = header == kHeaderWithSamples;
  return merged;
}

absl::Status WriteCertifyOutputs(const std::string& prefix, const std::vector<CertifyRow>& rows,
                                 const std::string& title, bool with_time, bool with_samples) {
  const std::string tsv = CertifyTsv(rows, with_time, with_samples);
  if (absl::Status s = tensor::WriteTextAtomically(prefix + ".tsv", tsv); !s.ok()) {
    return s;
  }
  const std::string svg = AccuracyPlot(rows, title);
  return tensor::WriteTextAtomically(prefix + ".svg", svg);
}

std::string TraceTsv(const Trace& trace) {
  std::string out =
      absl::StrFormat("# sigma=%.17g alpha=%.17g n0=%d batch=%d first=%d n=%d\nidx\tlabel\ttop", trace.sigma,
                      trace.alpha, trace.n0, trace.batch_size, trace.first, trace.n);
  absl::StatusOr<SequentialSchedule> schedule =
      TraceSchedule(trace.first, trace.n, trace.batch_size, trace.alpha);
  if (schedule.ok()) {
    for (int64_t checkpoint : schedule->checkpoints) absl::StrAppend(&out, "\tk@", checkpoint);
  }
  out += "\n";
  for (const CertifyRow& r : trace.rows) {
    absl::StrAppend(&out, r.index, "\t", r.label, "\t", r.top);
    for (int64_t k : r.trace) absl::StrAppend(&out, "\t", k);
    out += "\n";
  }
  return out;
}

Trace MakeTrace(const CertifyRunConfig& config, const std::vector<CertifyRow>& rows) {
  Trace trace;
  trace.sigma = config.smoothing.sigma;
  trace.alpha = config.smoothing.alpha;
  trace.n0 = config.smoothing.n0;
  trace.batch_size = config.smoothing.batch_size;
  trace.first = config.trace_first;
  trace.n = config.smoothing.n;
  trace.rows = rows;
  return trace;
}

absl::StatusOr<Trace> ParseTraceTsv(const std::string& text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.size() < 2) return absl::InvalidArgumentError("not a certify trace: too short");
  Trace trace;
  std::vector<absl::string_view> header = absl::StrSplit(lines[0], ' ');
  auto value = [&](size_t i, absl::string_view key) -> absl::string_view {
    if (i >= header.size() || !absl::StartsWith(header[i], key)) return "";
    return header[i].substr(key.size());
  };
  if (header.size() != 7 || header[0] != "#" || !absl::SimpleAtod(value(1, "sigma="), &trace.sigma) ||
      !absl::SimpleAtod(value(2, "alpha="), &trace.alpha) || !absl::SimpleAtoi(value(3, "n0="), &trace.n0) ||
      !absl::SimpleAtoi(value(4, "batch="), &trace.batch_size) ||
      !absl::SimpleAtoi(value(5, "first="), &trace.first) || !absl::SimpleAtoi(value(6, "n="), &trace.n) ||
      !(trace.sigma > 0) || trace.n0 < 1) {
    return absl::InvalidArgumentError(
        "not a certify trace: line 1 is not '# sigma=... alpha=... n0=... "
        "batch=... first=... n=...'");
  }
  absl::StatusOr<SequentialSchedule> schedule =
      TraceSchedule(trace.first, trace.n, trace.batch_size, trace.alpha);
  if (!schedule.ok())
    return absl::InvalidArgumentError(absl::StrCat("line 1: ", schedule.status().message()));
  std::string columns = "idx\tlabel\ttop";
  for (int64_t checkpoint : schedule->checkpoints) absl::StrAppend(&columns, "\tk@", checkpoint);
  if (lines[1] != columns)
    return absl::InvalidArgumentError("line 2: columns do not match the schedule of line 1");
  const size_t k = schedule->checkpoints.size();
  for (size_t i = 2; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], '\t');
    CertifyRow row{};
    int top = 0;
    bool ok = f.size() == 3 + k && absl::SimpleAtoi(f[0], &row.index) && absl::SimpleAtoi(f[1], &row.label) &&
              absl::SimpleAtoi(f[2], &top) && top >= kAbstain;
    for (size_t j = 0; ok && j < k; ++j) {
      int64_t count = 0;
      ok = absl::SimpleAtoi(f[3 + j], &count) && count >= (j ? row.trace.back() : 0) &&
           count - (j ? row.trace.back() : 0) <=
               schedule->checkpoints[j] - (j ? schedule->checkpoints[j - 1] : 0);
      row.trace.push_back(count);
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("line ", i + 1, " is malformed"));
    row.top = top;
    trace.rows.push_back(std::move(row));
  }
  return trace;
}

absl::StatusOr<std::vector<CertifyRow>> ReplaySequential(const Trace& trace,
                                                         const SequentialOptions& sequential) {
  absl::StatusOr<SequentialSchedule> schedule =
      TraceSchedule(trace.first, trace.n, trace.batch_size, trace.alpha);
  if (!schedule.ok()) return schedule.status();
  std::vector<CertifyRow> rows;
  for (const CertifyRow& traced : trace.rows) {
    if (traced.trace.size() != schedule->checkpoints.size()) {
      return absl::InvalidArgumentError(absl::StrCat("input ", traced.index, " has no trace"));
    }
    absl::StatusOr<SequentialCertifier> made = MakeCertifier(sequential, *schedule, traced.top, trace.sigma);
    if (!made.ok()) return made.status();
    SequentialCertifier& certifier = *made;
    for (size_t j = 0; !certifier.done(); ++j) certifier.Observe(traced.trace[j]);
    CertifyRow row{};
    row.index = traced.index;
    row.label = traced.label;
    row.predicted = certifier.result().predicted_class;
    row.radius = certifier.result().radius;
    row.correct = row.predicted == row.label;
    row.samples = trace.n0 + certifier.result().samples;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace warden::smoothing
