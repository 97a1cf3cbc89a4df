// A certification run over a data set: CERTIFY per input, one TSV row per input
// (idx label predict radius correct time), the certified-accuracy-vs-radius
// table and its SVG plot — what `warden smooth certify` and the demo produce.
#ifndef WARDEN_COMPONENTS_SMOOTHING_CERTIFY_RUN_H_
#define WARDEN_COMPONENTS_SMOOTHING_CERTIFY_RUN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/smoothing/base_classifier.h"
#include "components/smoothing/sampler.h"
#include "components/tensor/shard.h"

namespace warden::smoothing {

// The radii of the report table (Cohen et al.'s figures).
inline const std::vector<double> kReportRadii = {0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0};

struct CertifyRow {
  int64_t index;
  int64_t label;
  int predicted;  // kAbstain = -1
  double radius;
  bool correct;
  double seconds;
  int64_t samples = 0;  // forward passes spent: n0 + the estimation samples drawn
  // Fixed-n runs with CertifyRunConfig::trace_first > 0: ĉ_A and its count
  // among the first n_j estimation draws at each checkpoint of the doubling
  // schedule, which is all that the sequential modes look at (ReplaySequential).
  int top = kAbstain;
  std::vector<int64_t> trace;
};

struct CertifyRunConfig {
  std::string dataset = "mnist";
  int64_t limit = 100;  // inputs to certify
  int64_t skip = 1;     // certify every skip-th test input (Cohen: 20 on ImageNet)
  SmoothingOptions smoothing;
  // Unset: Cohen's fixed-n CERTIFY. Set: CertifySequential, at a radius (rows
  // hold the radius if certified, else abstain) or adaptive.
  std::optional<SequentialOptions> sequential;
  // Fixed-n only: > 0 records each row's trace at the doubling schedule from
  // this many samples to n (the same draws, so the same certificates).
  int64_t trace_first = 0;
  // This process certifies only its shard's share of the inputs (by their
  // position in 0, skip, 2·skip, ...); MergeCertifyTsvs joins the shards.
  tensor::Shard shard;
};

// Certifies inputs 0, skip, 2·skip, ... of the test split (those of
// config.shard). Each input's noise is seeded by its index, so a row does not
// depend on the shard that made it. `progress` (if set) gets (done, total,
// last row), counted within the shard.
absl::StatusOr<std::vector<CertifyRow>> RunCertification(
    BaseClassifier& f, const CertifyRunConfig& config,
    const std::function<void(int64_t, int64_t, const CertifyRow&)>& progress = {});

// Fraction of rows certified correct with radius >= r, for each r.
std::vector<double> CertifiedAccuracy(const std::vector<CertifyRow>& rows, const std::vector<double>& radii);

// The TSV text: header "idx\tlabel\tpredict\tradius\tcorrect\ttime" (Cohen et al.'s
// columns) and one row per input; `with_samples` adds a "samples" column before
// "time" (the sequential modes). `with_time` false writes "-" for the
// (wall-clock) time column, so two runs with the same seed give byte-identical
// files.
std::string CertifyTsv(const std::vector<CertifyRow>& rows, bool with_time = true, bool with_samples = false);

// A readable table of CertifiedAccuracy at kReportRadii.
std::string AccuracyTable(const std::vector<CertifyRow>& rows);

// SVG of certified accuracy against radius (a step curve over all radii seen).
std::string AccuracyPlot(const std::vector<CertifyRow>& rows, const std::string& title);

// The same for several runs (e.g. one per sigma) in one figure. With
// `log_from` > 0 the radius axis is logarithmic from that radius (for runs
// whose radii differ by decades, as REaaS's and SEaaS's).
std::string AccuracyPlot(const std::vector<std::pair<std::string, std::vector<CertifyRow>>>& runs,
                         const std::string& title, double log_from = 0);

// Joins certify TSVs of disjoint shards of one run into what one process
// would have written: rows in input order, the same columns; when every shard
// wrote "-" for the time (--notime), Tsv() is byte for byte the one-process
// file. InvalidArgument for a file that does not parse, mixed column sets or
// time styles, or an input that two shards both certified; errors name a file
// by `names[i]` when given, else by its position ("file 2").
struct MergedCertification {
  std::vector<CertifyRow> rows;
  bool with_time = false, with_samples = false;
  std::string Tsv() const { return CertifyTsv(rows, with_time, with_samples); }
};
absl::StatusOr<MergedCertification> MergeCertifyTsvs(const std::vector<std::string>& texts,
                                                     const std::vector<std::string>& names = {});

// Parses a TSV written by CertifyTsv, with or without the samples column (rows
// without it get samples = 0). InvalidArgument naming the line for a wrong
// header, a wrong number of columns or a malformed number.
absl::StatusOr<std::vector<CertifyRow>> ParseCertifyTsv(const std::string& text);

// A fixed-n run's traces: what the sequential modes would have decided on the
// same draws, without drawing them again. The sequential modes' draws are a
// prefix of fixed-n's (sampler.h), so replaying a trace gives the rows a live
// --radius/--adaptive run with the same seed, n0, n, alpha, batch and first
// writes (time aside).
struct Trace {
  double sigma = 0;
  double alpha = 0;
  int64_t n0 = 0;
  int64_t batch_size = 0;
  int64_t first = 0;
  int64_t n = 0;
  std::vector<CertifyRow> rows;  // index, label, top, trace (one count per checkpoint)
};

// Text form: a "# sigma=... alpha=... n0=... batch=... first=... n=..." line,
// then "idx\tlabel\ttop\tk@<n_1>\t...\tk@<n_K>" and one row per input.
std::string TraceTsv(const Trace& trace);
// InvalidArgument naming the line for anything else (checkpoints that do not
// match the parameters, counts that decrease or exceed n_j, ...).
absl::StatusOr<Trace> ParseTraceTsv(const std::string& text);
// The trace of a fixed-n run made with `config`.
Trace MakeTrace(const CertifyRunConfig& config, const std::vector<CertifyRow>& rows);

// The rows --radius/--adaptive (per `sequential`, whose `first` is ignored in
// favour of the trace's) would have written. InvalidArgument for bad options.
absl::StatusOr<std::vector<CertifyRow>> ReplaySequential(const Trace& trace,
                                                         const SequentialOptions& sequential);

// Writes <prefix>.tsv and <prefix>.svg atomically.
absl::Status WriteCertifyOutputs(const std::string& prefix, const std::vector<CertifyRow>& rows,
                                 const std::string& title, bool with_time = true, bool with_samples = false);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_CERTIFY_RUN_H_
