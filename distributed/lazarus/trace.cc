#include "distributed/lazarus/trace.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace warden::lazarus {
namespace {

void SortEvents(FailureTrace& trace) {
  std::stable_sort(trace.events.begin(), trace.events.end(),
                   [](const TraceEvent& a, const TraceEvent& b) { return a.time_s < b.time_s; });
}

// Moves every join to the end of its batching window.
void BatchJoins(FailureTrace& trace, double batch_s) {
  if (batch_s <= 0) return;
  for (TraceEvent& e : trace.events) {
    if (e.joins > 0 && e.failures == 0) e.time_s = std::ceil(e.time_s / batch_s) * batch_s;
  }
  SortEvents(trace);
}

}  // namespace

FailureTrace ControlledTrace(int nodes, double interval_s, double horizon_s) {
  FailureTrace trace{absl::StrCat("one failure every ", interval_s / 60, " min"), nodes, {}};
  int alive = nodes;
  for (double t = interval_s; t < horizon_s && alive > (nodes + 1) / 2; t += interval_s, --alive) {
    trace.events.push_back({t, 1, 0});
  }
  return trace;
}

FailureTrace BurstTrace(int nodes, int burst, double interval_s, double horizon_s) {
  FailureTrace trace{absl::StrCat("bursts of ", burst, " every ", interval_s / 60, " min"), nodes, {}};
  int alive = nodes;
  for (double t = interval_s; t < horizon_s && alive > 1; t += interval_s) {
    const int lost = std::min(burst, alive - 1);
    trace.events.push_back({t, lost, 0});
    alive -= lost;
  }
  return trace;
}

FailureTrace SpotTrace(int nodes, const SpotModel& model, double horizon_s, uint64_t seed) {
  FailureTrace trace{"spot (Bamboo model)", nodes, {}};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int alive = nodes, pending = 0;  // pending: granted, starting up
  std::vector<TraceEvent> arrivals;
  for (double hour = 0; hour < horizon_s; hour += 3600) {
    // Preemptions and grants of this hour, at uniform times, applied in order.
    std::vector<TraceEvent> hour_events;
    for (int i = 0; i < alive; ++i) {
      if (unit(rng) < model.preempt_per_hour) hour_events.push_back({hour + 3600 * unit(rng), 1, 0});
    }
    for (int i = 0; i < nodes - alive - pending; ++i) {
      if (unit(rng) < model.grant_per_hour) {
        hour_events.push_back({hour + 3600 * unit(rng) + model.startup_s, 0, 1});
      }
    }
    std::sort(hour_events.begin(), hour_events.end(),
              [](const TraceEvent& a, const TraceEvent& b) { return a.time_s < b.time_s; });
    for (const TraceEvent& e : hour_events) {
      if (e.time_s >= horizon_s) continue;
      if (e.failures > 0 && alive > 1) {
        trace.events.push_back(e);
        --alive;
      } else if (e.joins > 0 && alive + pending < nodes) {
        trace.events.push_back(e);
        ++alive;
      }
    }
  }
  SortEvents(trace);
  BatchJoins(trace, model.batch_s);
  return trace;
}

absl::StatusOr<FailureTrace> LoadCsvTrace(const std::string& path, int nodes, int cap, double batch_s) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  FailureTrace trace{absl::StrCat("replay of ", path), std::min(nodes, cap), {}};
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, ',');
    TraceEvent e;
    if (f.size() != 3 || !absl::SimpleAtod(f[0], &e.time_s) || !absl::SimpleAtoi(f[1], &e.failures) ||
        !absl::SimpleAtoi(f[2], &e.joins) || e.time_s < 0 || e.failures < 0 || e.joins < 0) {
      if (line_number == 1) continue;  // header
      return absl::InvalidArgumentError(absl::StrCat(path, ": line ", line_number,
                                                     " is not time_s,failures,joins"));
    }
    trace.events.push_back(e);
  }
  SortEvents(trace);
  // Apply the cap: joins beyond it are dropped.
  int alive = trace.initial_nodes;
  for (TraceEvent& e : trace.events) {
    e.failures = std::min(e.failures, alive - 1);
    alive -= e.failures;
    e.joins = std::min(e.joins, cap - alive);
    alive += e.joins;
  }
  BatchJoins(trace, batch_s);
  return trace;
}

}  // namespace warden::lazarus
