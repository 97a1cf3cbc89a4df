#include "distributed/lazarus/sim_study.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "components/plot/svg_plot.h"

namespace warden::lazarus {
namespace {

// Two-sided 95% Student t quantile for `df` degrees of freedom.
double T95(int df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086};
  if (df < 1) return 0;
  return df <= 20 ? table[df - 1] : 1.96;
}

}  // namespace

absl::StatusOr<StudyResult> RunStudy(const SimModel& model,
                                     const std::function<absl::StatusOr<FailureTrace>(uint64_t)>& make_trace,
                                     double horizon_s, int seeds) {
  if (seeds < 1) return absl::InvalidArgumentError("need at least one seed");
  StudyResult study;
  study.seeds = seeds;
  for (Policy policy : {Policy::kLazarus, Policy::kDeepSpeed, Policy::kDeepSpeedFt}) {
    PolicySummary summary;
    summary.policy = policy;
    std::vector<double> samples;
    for (int s = 0; s < seeds; ++s) {
      absl::StatusOr<FailureTrace> trace = make_trace(static_cast<uint64_t>(s));
      if (!trace.ok()) return trace.status();
      absl::StatusOr<SimRun> run = Simulate(model, *trace, policy, horizon_s, static_cast<uint64_t>(s));
      if (!run.ok()) return run.status();
      samples.push_back(run->samples);
      const double w = 1.0 / seeds;
      summary.mean_time.compute_s += w * run->time.compute_s;
      summary.mean_time.checkpoint_s += w * run->time.checkpoint_s;
      summary.mean_time.reconfigure_s += w * run->time.reconfigure_s;
      summary.mean_time.restart_s += w * run->time.restart_s;
      summary.mean_time.lost_s += w * run->time.lost_s;
      summary.mean_time.idle_s += w * run->time.idle_s;
      summary.mean_time.redone_s += w * run->time.redone_s;
      summary.mean_time.rebalance_s += w * run->time.rebalance_s;
      summary.mean_recovered += w * run->failures_recovered;
      summary.mean_restarts += w * run->checkpoint_restarts;
      summary.mean_moved += w * static_cast<double>(run->experts_moved);
      if (summary.mean_curve.empty()) {
        summary.curve_t = run->curve_t;
        summary.mean_curve.assign(run->curve_samples.size(), 0.0);
      }
      for (size_t i = 0; i < summary.mean_curve.size() && i < run->curve_samples.size(); ++i) {
        summary.mean_curve[i] += w * run->curve_samples[i];
      }
    }
    double mean = 0;
    for (double x : samples) mean += x / seeds;
    double var = 0;
    for (double x : samples) var += (x - mean) * (x - mean) / std::max(1, seeds - 1);
    summary.mean_samples = mean;
    summary.ci95 = T95(seeds - 1) * std::sqrt(var / seeds);
    study.policies.push_back(summary);
  }
  return study;
}

std::string StudyTable(const StudyResult& study) {
  std::string out = absl::StrFormat("%-8s %22s %9s %8s %8s %8s %8s %8s %8s %8s %6s %6s\n", "policy",
                                    "samples (95% CI)", "speedup", "compute", "redone", "ckpt", "reconf",
                                    "rebal", "restart", "lost", "recov", "rstrt");
  const double lazarus = study.policies[0].mean_samples;
  for (const PolicySummary& p : study.policies) {
    const TimeBreakdown& t = p.mean_time;
    const double total = t.compute_s + t.redone_s + t.checkpoint_s + t.reconfigure_s + t.rebalance_s +
                         t.restart_s + t.lost_s + t.idle_s;
    auto share = [&](double x) { return absl::StrFormat("%7.1f%%", 100 * x / std::max(total, 1e-9)); };
    out += absl::StrFormat(
        "%-8s %12.0f ± %7.0f %8.2fx %s %s %s %s %s %s %s %6.1f %6.1f\n", PolicyName(p.policy), p.mean_samples,
        p.ci95, p.mean_samples > 0 ? lazarus / p.mean_samples : 0.0, share(t.compute_s), share(t.redone_s),
        share(t.checkpoint_s), share(t.reconfigure_s), share(t.rebalance_s), share(t.restart_s),
        share(t.lost_s), p.mean_recovered, p.mean_restarts);
  }
  out +=
      "(speedup = Lazarus samples / policy samples; time shares of the horizon; compute = kept steps, "
      "redone = steps rolled back by a checkpoint restart)\n";
  return out;
}

std::string StudyPlot(const StudyResult& study, const std::string& title) {
  std::vector<plot::Series> curves;
  for (const PolicySummary& p : study.policies) {
    std::vector<double> minutes;
    for (double t : p.curve_t) minutes.push_back(t / 60);
    curves.push_back({PolicyName(p.policy), minutes, p.mean_curve});
  }
  plot::LinePlotOptions options;
  options.title = title;
  options.x_label = "minutes";
  options.y_label = "samples trained (mean over seeds)";
  return plot::RenderLinePlot(curves, options);
}

}  // namespace warden::lazarus
