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
  // alive: usable nodes; pending: granted and starting up (their join is
  // scheduled). A node is requested only while alive + pending < nodes.
  int alive = nodes, pending = 0;
  std::vector<TraceEvent> scheduled;  // joins of granted nodes, any hour
  for (double hour = 0; hour < horizon_s; hour += 3600) {
    // Draws at the start of the hour: each live node may be preempted at a
    // uniform time in it; each missing node's request may be granted at a
    // uniform time, joining startup_s later (possibly in a later hour).
    std::vector<TraceEvent> due;
    for (int i = 0; i < alive; ++i) {
      if (unit(rng) < model.preempt_per_hour) due.push_back({hour + 3600 * unit(rng), 1, 0});
    }
    const int missing = nodes - alive - pending;
    for (int i = 0; i < missing; ++i) {
      if (unit(rng) < model.grant_per_hour) {
        scheduled.push_back({hour + 3600 * unit(rng) + model.startup_s, 0, 1});
        ++pending;
      }
    }
    // Joins due in this hour happen in time order with its preemptions.
    const double end = hour + 3600;
    for (auto it = scheduled.begin(); it != scheduled.end();) {
      if (it->time_s < end) {
        due.push_back(*it);
        it = scheduled.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(due.begin(), due.end(),
              [](const TraceEvent& a, const TraceEvent& b) { return a.time_s < b.time_s; });
    for (const TraceEvent& e : due) {
      if (e.joins > 0) {
        --pending;
        if (e.time_s >= horizon_s) continue;
        ++alive;
        trace.events.push_back(e);
      } else if (e.time_s < horizon_s && alive > 1) {
        trace.events.push_back(e);
        --alive;
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
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": line ", line_number, " is not time_s,failures,joins"));
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
