// A certification run over a data set: CERTIFY per input, one TSV row per input
// (idx label predict radius correct time), the certified-accuracy-vs-radius
// table and its SVG plot — what `warden smooth certify` and the demo produce.
#ifndef WARDEN_COMPONENTS_SMOOTHING_CERTIFY_RUN_H_
#define WARDEN_COMPONENTS_SMOOTHING_CERTIFY_RUN_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/smoothing/base_classifier.h"
#include "components/smoothing/sampler.h"

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
};

struct CertifyRunConfig {
  std::string dataset = "mnist";
  int64_t limit = 100;  // inputs to certify
  int64_t skip = 1;     // certify every skip-th test input (Cohen: 20 on ImageNet)
  SmoothingOptions smoothing;
};

// Certifies inputs 0, skip, 2·skip, ... of the test split. `progress` (if set)
// gets (done, total, last row).
absl::StatusOr<std::vector<CertifyRow>> RunCertification(
    BaseClassifier& f, const CertifyRunConfig& config,
    const std::function<void(int64_t, int64_t, const CertifyRow&)>& progress = {});

// Fraction of rows certified correct with radius >= r, for each r.
std::vector<double> CertifiedAccuracy(const std::vector<CertifyRow>& rows,
                                      const std::vector<double>& radii);

// The TSV text: header "idx\tlabel\tpredict\tradius\tcorrect\ttime" and one row per
// input. `with_time` false writes "-" for the (wall-clock) time column, so two
// runs with the same seed give byte-identical files.
std::string CertifyTsv(const std::vector<CertifyRow>& rows, bool with_time = true);

// A readable table of CertifiedAccuracy at kReportRadii.
std::string AccuracyTable(const std::vector<CertifyRow>& rows);

// SVG of certified accuracy against radius (a step curve over all radii seen).
std::string AccuracyPlot(const std::vector<CertifyRow>& rows, const std::string& title);

// The same for several runs (e.g. one per sigma) in one figure.
std::string AccuracyPlot(const std::vector<std::pair<std::string, std::vector<CertifyRow>>>& runs,
                         const std::string& title);

// Parses a TSV written by CertifyTsv. InvalidArgument naming the line for a
// wrong header, a wrong number of columns or a malformed number.
absl::StatusOr<std::vector<CertifyRow>> ParseCertifyTsv(const std::string& text);

// Writes <prefix>.tsv and <prefix>.svg atomically.
absl::Status WriteCertifyOutputs(const std::string& prefix, const std::vector<CertifyRow>& rows,
                                 const std::string& title, bool with_time = true);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_CERTIFY_RUN_H_
