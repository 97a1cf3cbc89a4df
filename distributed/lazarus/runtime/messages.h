// The Lazarus controller's and workers' messages as JSON (spec §1): one
// configuration per generation (members in rank order, the replica plan,
// expert transfers, where training resumes), what a worker holds, per-step
// progress. Torch-free, so the parsers have a fuzz target (runtime/fuzz).
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_MESSAGES_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_MESSAGES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::lazarus {

using ExpertKey = std::pair<int64_t, int64_t>;  // (layer, expert)
// replicas[layer][e][j]: replicas of expert e on rank j.
using ReplicaPlan = std::vector<std::vector<std::vector<int>>>;

std::string ExpertName(const ExpertKey& key);  // "L<layer>.E<expert>"

namespace protocol {

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

}  // namespace protocol
}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_MESSAGES_H_
