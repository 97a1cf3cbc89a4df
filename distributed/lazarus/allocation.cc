#include "distributed/lazarus/allocation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace warden::lazarus {

absl::StatusOr<ReplicaAllocation> AllocateReplicas(const std::vector<double>& loads, int nodes,
                                                   int slots, int f) {
  const int experts = static_cast<int>(loads.size());
  if (experts < 1 || nodes < 1 || slots < 1 || f < 1) {
    return absl::InvalidArgumentError(absl::StrCat("need experts, nodes, slots and f >= 1, got ",
                                                   experts, ", ", nodes, ", ", slots, ", ", f));
  }
  const int64_t total_slots = static_cast<int64_t>(nodes) * slots;
  if (total_slots < experts) {
    return absl::InvalidArgumentError(absl::StrCat(nodes, " nodes x ", slots, " slots = ",
                                                   total_slots, " cannot hold ", experts,
                                                   " experts once each"));
  }
  for (double t : loads) {
    if (!std::isfinite(t) || t < 0) {
      return absl::InvalidArgumentError(absl::StrCat("loads must be finite and >= 0, got ", t));
    }
  }
  ReplicaAllocation out;
  out.fault_tolerance = static_cast<int>(std::min<int64_t>(f, total_slots / experts));
  std::vector<double> t = loads;
  if (std::accumulate(t.begin(), t.end(), 0.0) <= 0) std::fill(t.begin(), t.end(), 1.0);

  std::vector<int> order(experts);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return t[a] < t[b]; });
  // Suffix sums of the sorted loads: Σ_{e'≥e} t_{e'}.
  std::vector<double> suffix(experts + 1, 0.0);
  for (int i = experts - 1; i >= 0; --i) suffix[i] = suffix[i + 1] + t[order[i]];

  out.replicas.assign(experts, 0);
  int64_t remaining = total_slots;
  for (int i = 0; i < experts; ++i) {
    int64_t r;
    if (i == experts - 1) {
      r = remaining;  // t_e / Σ = 1: the last expert takes what is left
    } else {
      const double share = suffix[i] > 0 ? t[order[i]] / suffix[i] : 1.0 / (experts - i);
      r = static_cast<int64_t>(std::floor(share * static_cast<double>(remaining) + 1e-9));
    }
    r = std::max<int64_t>(r, out.fault_tolerance);
    out.replicas[order[i]] = static_cast<int>(r);
    remaining -= r;
  }
  return out;
}

}  // namespace warden::lazarus
