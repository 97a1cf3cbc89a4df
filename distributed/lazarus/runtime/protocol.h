// What the Lazarus controller and its workers say to each other through the
// controller's c10d TCPStore (spec §1): registration, heartbeats, per-step
// progress, failure reports, and one configuration per generation (members in
// rank order, the replica plan, expert transfers, where training resumes).
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROTOCOL_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <vector>

#include "absl/status/statusor.h"
#include "distributed/lazarus/runtime/trainer.h"

namespace warden::lazarus::protocol {

// A store value as text, and text into the store (every message here is text).
std::string Get(c10d::Store& store, const std::string& key);
void Set(c10d::Store& store, const std::string& key, const std::string& value);

inline std::string HeartbeatKey(int id) { return "hb/" + std::to_string(id); }
inline std::string JoinedKey(int id) { return "joined/" + std::to_string(id); }
inline std::string ProgressKey(int id) { return "progress/" + std::to_string(id); }
inline std::string DoneKey(int id) { return "done/" + std::to_string(id); }
inline std::string GenerationKey(int gen) { return "gen/" + std::to_string(gen); }
inline std::string FailedKey(int gen, int id) {
  return "gen/" + std::to_string(gen) + "/failed/" + std::to_string(id);
}
// The error of the collective that failed (first line), beside FailedKey.
inline std::string FailureReasonKey(int gen, int id) { return FailedKey(gen, id) + "/reason"; }
// Two-phase commit of a generation: each member acknowledges what it holds
// once configured (phase one); the controller commits the generation when
// every member has (phase two), and only then does anyone train in it.
inline std::string AckKey(int gen, int id) {
  return "gen/" + std::to_string(gen) + "/ack/" + std::to_string(id);
}
inline std::string CommitKey(int gen) { return "gen/" + std::to_string(gen) + "/commit"; }
inline constexpr char kLatestGeneration[] = "gen";
// The options every worker shares, one JSON document (worker_options.h),
// written by the controller before it launches any worker.
inline constexpr char kWorkerConfig[] = "worker_config";

// What a worker holds, as it acknowledges a generation (AckKey) or reports
// a failure (FailedKey): the controller re-plans from this, never from a plan
// that may not have been carried out.
struct Holding {
  bool has_state = false;     // dense state and `applied` are real (false: a joiner not yet configured)
  int64_t applied = -1;       // last applied step
  int64_t reduced_step = -1;  // the step whose summed gradients it keeps (Trainer::last_reduced_step)
  std::vector<ExpertKey> experts;

  std::string ToJson() const;
  static absl::StatusOr<Holding> FromJson(const std::string& text);
};

struct Transfer {
  int layer = 0, expert = 0, from_rank = 0, to_rank = 0;
};

struct Generation {
  int gen = 0;
  std::vector<int> members;  // worker ids in rank order
  ReplicaPlan plan;          // [layer][expert][rank]
  std::vector<Transfer> transfers;
  int dense_source = 0;  // rank whose dense state everyone takes (a survivor)
  // >= 0: every member's state is at this step once configured. Members one
  // step behind first apply that step's summed gradients, broadcast by rank
  // `catch_up_source` (Trainer::ApplyReduced); a member whose state is still
  // at another step drops its experts (they are stale) and is sent fresh ones.
  int64_t state_step = -1;
  int catch_up_source = -1;
  int64_t resume_step = -1;      // -1: continue after the last applied step
  bool from_checkpoint = false;  // every rank reloads the checkpoint first
  // >= 0: members stop before this step and wait for the next generation,
  // which trains it (a join applied exactly at the step it was requested for).
  int64_t switch_before_step = -1;

  std::string ToJson() const;
  static absl::StatusOr<Generation> FromJson(const std::string& text);
  int RankOf(int id) const;  // -1 if not a member
  std::vector<ExpertKey> ExpertsOf(int rank) const;
};

// min_gate_margin when no gap was seen (JSON has no infinity).
inline constexpr double kNoGateMargin = 1e30;

struct Progress {
  int gen = 0;
  int64_t step = -1;  // last applied step
  double loss = 0;
  double time = 0;  // seconds since the controller started (worker clock: steady, shared machine)
  int64_t rows_sent = 0;
  std::vector<std::vector<int64_t>> load;  // [layer][expert] routed tokens (rank 0 only)
  double min_gate_margin = 0;              // smallest routing gap this worker has seen so far (Trainer::Step)
  std::string ToJson() const;
  static absl::StatusOr<Progress> FromJson(const std::string& text);
};

}  // namespace warden::lazarus::protocol

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROTOCOL_H_
