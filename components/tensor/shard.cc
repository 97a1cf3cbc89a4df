#include "components/tensor/shard.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace warden::tensor {
namespace {

absl::StatusOr<int64_t> ParseCount(absl::string_view text, const std::string& what) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0)
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a non-negative integer, got '", text, "'"));
  return value;
}

// An environment variable as an integer; nullopt when unset or empty.
absl::StatusOr<std::optional<int64_t>> EnvInt(const EnvLookup& env, const char* name) {
  const char* value = env(name);
  if (value == nullptr || *value == '\0') return std::optional<int64_t>();
  absl::StatusOr<int64_t> n = ParseCount(value, name);
  if (!n.ok()) return n.status();
  return std::optional<int64_t>(*n);
}

absl::StatusOr<Shard> Checked(int64_t index, int64_t count) {
  if (count < 1) return absl::InvalidArgumentError(absl::StrCat("--shard: need N >= 1 shards, got ", count));
  if (index >= count)
    return absl::InvalidArgumentError(
        absl::StrCat("--shard: shard ", index, " of ", count, " is out of range"));
  return Shard{index, count};
}

absl::StatusOr<Shard> FromScheduler(std::optional<int64_t> given_count, const EnvLookup& env) {
  absl::StatusOr<std::optional<int64_t>> slurm_id = EnvInt(env, "SLURM_ARRAY_TASK_ID");
  if (!slurm_id.ok()) return slurm_id.status();
  if (slurm_id->has_value()) {
    absl::StatusOr<std::optional<int64_t>> min = EnvInt(env, "SLURM_ARRAY_TASK_MIN");
    absl::StatusOr<std::optional<int64_t>> step = EnvInt(env, "SLURM_ARRAY_TASK_STEP");
    absl::StatusOr<std::optional<int64_t>> count = EnvInt(env, "SLURM_ARRAY_TASK_COUNT");
    for (const auto* s : {&min, &step, &count})
      if (!s->ok()) return s->status();
    const int64_t lowest = min->value_or(0), stride = std::max<int64_t>(1, step->value_or(1));
    if (**slurm_id < lowest || (**slurm_id - lowest) % stride != 0)
      return absl::InvalidArgumentError("--shard=auto: SLURM_ARRAY_TASK_ID is not on the array's grid");
    const int64_t index = (**slurm_id - lowest) / stride;
    if (given_count.has_value() && count->has_value() && *given_count != **count)
      return absl::InvalidArgumentError(absl::StrCat(
          "--shard=auto/", *given_count, ": the Slurm array has SLURM_ARRAY_TASK_COUNT=", **count));
    if (!given_count.has_value() && !count->has_value())
      return absl::InvalidArgumentError("--shard=auto: SLURM_ARRAY_TASK_COUNT is unset; use --shard=auto/N");
    return Checked(index, given_count.value_or(count->value_or(1)));
  }
  absl::StatusOr<std::optional<int64_t>> k8s_index = EnvInt(env, "JOB_COMPLETION_INDEX");
  if (!k8s_index.ok()) return k8s_index.status();
  if (k8s_index->has_value()) {
    if (!given_count.has_value())
      return absl::InvalidArgumentError(
          "--shard=auto: a Kubernetes Indexed Job exports only JOB_COMPLETION_INDEX; use --shard=auto/N with "
          "N = the Job's completions");
    return Checked(**k8s_index, *given_count);
  }
  return absl::InvalidArgumentError(
      "--shard=auto: neither SLURM_ARRAY_TASK_ID (Slurm array job) nor JOB_COMPLETION_INDEX (Kubernetes "
      "Indexed Job) is set");
}

}  // namespace

std::string Shard::ToString() const { return absl::StrCat(index, "/", count); }

absl::StatusOr<Shard> ParseShard(const std::string& spec, const EnvLookup& env) {
  if (spec.empty()) return Shard{};
  const std::vector<std::string> parts = absl::StrSplit(spec, '/');
  if (parts.size() > 2 || (parts.size() == 1 && parts[0] != "auto"))
    return absl::InvalidArgumentError(absl::StrCat("--shard must be K/N, auto or auto/N, not '", spec, "'"));
  std::optional<int64_t> count;
  if (parts.size() == 2) {
    absl::StatusOr<int64_t> n = ParseCount(parts[1], "--shard's N");
    if (!n.ok()) return n.status();
    count = *n;
    if (*count < 1) return Checked(0, *count);
  }
  if (parts[0] == "auto") return FromScheduler(count, env);
  absl::StatusOr<int64_t> k = ParseCount(parts[0], "--shard's K");
  if (!k.ok()) return k.status();
  return Checked(*k, *count);
}

}  // namespace warden::tensor
