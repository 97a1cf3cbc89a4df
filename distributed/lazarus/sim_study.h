// Runs the simulator over seeds and policies and reports means with 95%
// intervals, speedups, time breakdowns and a samples-over-time plot.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_SIM_STUDY_H_
#define WARDEN_DISTRIBUTED_LAZARUS_SIM_STUDY_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "distributed/lazarus/simulator.h"

namespace warden::lazarus {

struct PolicySummary {
  Policy policy;
  double mean_samples = 0, ci95 = 0;  // over seeds (Student t interval)
  TimeBreakdown mean_time;
  double mean_recovered = 0, mean_restarts = 0, mean_moved = 0;
  std::vector<double> curve_t, mean_curve;
};

struct StudyResult {
  std::vector<PolicySummary> policies;  // Lazarus, DS, DS(FT)
  int seeds = 0;
};

// `make_trace(seed)` gives the trace of one seed (fixed traces ignore it).
absl::StatusOr<StudyResult> RunStudy(const SimModel& model,
                                     const std::function<absl::StatusOr<FailureTrace>(uint64_t)>& make_trace,
                                     double horizon_s, int seeds);

// A table of the study: samples, speedups of Lazarus, time shares, recoveries.
std::string StudyTable(const StudyResult& study);

// SVG of mean samples over time, one curve per policy.
std::string StudyPlot(const StudyResult& study, const std::string& title);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_SIM_STUDY_H_
