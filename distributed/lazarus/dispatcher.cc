#include "distributed/lazarus/dispatcher.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace warden::lazarus {
namespace {

// Splits `total` into parts proportional to `weights` (Σ weights > 0) with the
// largest-remainder method; equal remainders go to the lower index. Exact
// integer arithmetic: quotas are total · w_j / W.
std::vector<int64_t> LargestRemainder(int64_t total, const std::vector<int64_t>& weights) {
  const int n = static_cast<int>(weights.size());
  const __int128 sum = std::accumulate(weights.begin(), weights.end(), __int128{0});
  std::vector<int64_t> parts(n, 0);
  std::vector<__int128> remainder(n, 0);
  int64_t assigned = 0;
  for (int j = 0; j < n; ++j) {
    const __int128 scaled = static_cast<__int128>(total) * weights[j];
    parts[j] = static_cast<int64_t>(scaled / sum);
    remainder[j] = scaled % sum;
    assigned += parts[j];
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return remainder[a] > remainder[b]; });
  for (int i = 0; assigned < total; ++i, ++assigned) ++parts[order[i % n]];
  return parts;
}

}  // namespace

std::vector<int64_t> DispatchPlan::SendCounts(int rank) const {
  std::vector<int64_t> counts(ranks, 0);
  for (int e = 0; e < experts; ++e) {
    for (int j = 0; j < ranks; ++j) counts[j] += send[e][rank][j];
  }
  return counts;
}

std::vector<int64_t> DispatchPlan::ReceiveCounts(int rank) const {
  std::vector<int64_t> counts(ranks, 0);
  for (int e = 0; e < experts; ++e) {
    for (int i = 0; i < ranks; ++i) counts[i] += send[e][i][rank];
  }
  return counts;
}

absl::StatusOr<DispatchPlan> PlanDispatch(const std::vector<std::vector<int>>& replicas,
                                          const std::vector<std::vector<int64_t>>& tokens) {
  const int experts = static_cast<int>(replicas.size());
  if (experts == 0 || static_cast<int>(tokens.size()) != experts) {
    return absl::InvalidArgumentError(absl::StrCat("replicas has ", experts, " experts, tokens has ",
                                                   tokens.size()));
  }
  const int ranks = static_cast<int>(replicas[0].size());
  DispatchPlan plan;
  plan.experts = experts;
  plan.ranks = ranks;
  plan.send.assign(experts, std::vector<std::vector<int64_t>>(ranks, std::vector<int64_t>(ranks, 0)));
  plan.capacity.assign(experts, std::vector<int64_t>(ranks, 0));
  for (int e = 0; e < experts; ++e) {
    if (static_cast<int>(replicas[e].size()) != ranks || static_cast<int>(tokens[e].size()) != ranks) {
      return absl::InvalidArgumentError(absl::StrCat("expert ", e, ": expected ", ranks, " ranks"));
    }
    std::vector<int64_t> r(replicas[e].begin(), replicas[e].end());
    const std::vector<int64_t>& t = tokens[e];
    for (int j = 0; j < ranks; ++j) {
      if (r[j] < 0 || t[j] < 0) {
        return absl::InvalidArgumentError(absl::StrCat("expert ", e, " rank ", j, ": negative count"));
      }
    }
    const int64_t total_tokens = std::accumulate(t.begin(), t.end(), int64_t{0});
    const int64_t total_replicas = std::accumulate(r.begin(), r.end(), int64_t{0});
    if (total_tokens == 0) continue;
    if (total_replicas == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("expert ", e, " has ", total_tokens, " tokens but no replica"));
    }
    // Step 2: capacities proportional to replicas.
    const std::vector<int64_t> cap = LargestRemainder(total_tokens, r);
    plan.capacity[e] = cap;
    // Steps 3-4: keep min(T, cap) locally; residual capacity P = cap - kept.
    std::vector<int64_t> residual(ranks), overflow(ranks);
    for (int j = 0; j < ranks; ++j) {
      const int64_t kept = std::min(t[j], cap[j]);
      plan.send[e][j][j] = kept;
      residual[j] = cap[j] - kept;
      overflow[j] = t[j] - kept;
    }
    // Step 5: Σ overflow = Σ residual. Route overflows, in rank order, to the
    // residual capacity: each sender's share is split by largest remainder over
    // the capacity still open, which keeps every receiver exactly at cap.
    for (int i = 0; i < ranks; ++i) {
      if (overflow[i] == 0) continue;
      const std::vector<int64_t> parts = LargestRemainder(overflow[i], residual);
      for (int j = 0; j < ranks; ++j) {
        // Never exceed what is left at j (rounding could ask one more).
        const int64_t give = std::min(parts[j], residual[j]);
        plan.send[e][i][j] += give;
        residual[j] -= give;
        overflow[i] -= give;
      }
      // Rounding leftovers go to the first ranks still open.
      for (int j = 0; j < ranks && overflow[i] > 0; ++j) {
        const int64_t give = std::min(overflow[i], residual[j]);
        plan.send[e][i][j] += give;
        residual[j] -= give;
        overflow[i] -= give;
      }
    }
  }
  return plan;
}

}  // namespace warden::lazarus
