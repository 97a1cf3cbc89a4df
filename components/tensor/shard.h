// One worker's share of a long job (certification, evaluation, measurement),
// so that an existing scheduler can run the shards: a Slurm array job or a
// Kubernetes Indexed Job, one process per shard, and `warden merge` joins
// their outputs into what one process would have written (docs/scale_out.md).
//
// Shard K of N owns work items K, K + N, K + 2N, ...: round robin, so shards
// get similar mixes of cheap and costly items. Every item keeps its own seed
// (its index), so its result does not depend on the shard that computed it.
#ifndef WARDEN_COMPONENTS_TENSOR_SHARD_H_
#define WARDEN_COMPONENTS_TENSOR_SHARD_H_

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace warden::tensor {

struct Shard {
  int64_t index = 0;
  int64_t count = 1;
  bool Owns(int64_t item) const { return item % count == index; }
  // Items of [0, total) this shard owns.
  int64_t OwnedOf(int64_t total) const { return total <= index ? 0 : (total - index + count - 1) / count; }
  std::string ToString() const;  // "K/N"
};

// Reads an environment variable (nullptr when unset); std::getenv by default.
using EnvLookup = std::function<const char*(const char*)>;

// Parses --shard:
//   ""         the whole job (0/1);
//   "K/N"      shard K of N, 0 <= K < N;
//   "auto"     from a Slurm array task: K = (SLURM_ARRAY_TASK_ID −
//              SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP, N =
//              SLURM_ARRAY_TASK_COUNT;
//   "auto/N"   the same with N given, or from a Kubernetes Indexed Job:
//              K = JOB_COMPLETION_INDEX (Kubernetes does not export the
//              completion count, so N must be given).
// InvalidArgument, naming what is wrong, for anything else.
absl::StatusOr<Shard> ParseShard(const std::string& spec, const EnvLookup& env = std::getenv);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_SHARD_H_
