// Node failure and arrival traces for the Lazarus simulator (spec §9).
#ifndef WARDEN_DISTRIBUTED_LAZARUS_TRACE_H_
#define WARDEN_DISTRIBUTED_LAZARUS_TRACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::lazarus {

struct TraceEvent {
  double time_s = 0;
  int failures = 0;  // nodes lost at this instant (chosen uniformly among the alive)
  int joins = 0;     // nodes that become available at this instant
};

struct FailureTrace {
  std::string name;
  int initial_nodes = 0;
  std::vector<TraceEvent> events;  // sorted by time
};

// One node fails every `interval_s` until half of the nodes remain (spec §6).
FailureTrace ControlledTrace(int nodes, double interval_s, double horizon_s);

// Bursts of `burst` nodes every `interval_s`, never below one node.
FailureTrace BurstTrace(int nodes, int burst, double interval_s, double horizon_s);

struct SpotModel {
  double preempt_per_hour = 0.25;  // each live node is preempted w.p. p in each hour
  double grant_per_hour = 0.5;     // each missing node's request is granted w.p. q per hour
  double startup_s = 45;           // a granted node is usable after this
  double batch_s = 120;            // arrivals are batched (spec §6: 2 minutes)
};

// Bamboo's spot model: in every hour each live node is preempted with
// probability p at a uniformly random time; each missing node (below
// `nodes`) is granted with probability q at a uniformly random time and joins
// `startup_s` later; joins are released in batches every `batch_s`.
FailureTrace SpotTrace(int nodes, const SpotModel& model, double horizon_s, uint64_t seed);

// Replays a CSV file with lines "time_s,failures,joins" (a header line is
// allowed), capping the cluster at `cap` nodes and batching joins per `batch_s`.
// InvalidArgument naming the line for malformed input.
absl::StatusOr<FailureTrace> LoadCsvTrace(const std::string& path, int nodes, int cap, double batch_s);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_TRACE_H_
