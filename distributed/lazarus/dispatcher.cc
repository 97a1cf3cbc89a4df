#include "distributed/lazarus/dispatcher.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace warden::lazarus {
namespace {

// Splits `total` into parts proportional to `weights` (Σ weights > 0) by the
// largest-remainder method; equal remainders go to the lower index. Exact
// integer arithmetic: quotas are total · w_j / W.
std::vector<int64_t> LargestRemainder(int64_t total, const std::vector<int64_t>& weights) {
  const int n = static_cast<int>(weights.size());
  const __int128 sum = std::accumulate(weights.begin(), weights.end(), __int128{0});
  std::vector<int64_t> parts(n, 0);
  std::vector<int64_t> remainder(n, 0);
  int64_t assigned = 0;
  for (int j = 0; j < n; ++j) {
    const __int128 scaled = static_cast<__int128>(total) * weights[j];
    parts[j] = static_cast<int64_t>(scaled / sum);
    remainder[j] = static_cast<int64_t>(scaled % sum);
    assigned += parts[j];
  }
  if (assigned < total) {
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    const int64_t missing = total - assigned;  // < n
    std::partial_sort(order.begin(), order.begin() + missing, order.end(), [&](int a, int b) {
      return remainder[a] != remainder[b] ? remainder[a] > remainder[b] : a < b;
    });
    for (int64_t i = 0; i < missing; ++i) ++parts[order[i]];
  }
  return parts;
}

// Pieces of [begin, end) on a line cut at the cumulative `ends` (prefix sums,
// non-decreasing): (index, overlap length) for every index it overlaps.
std::vector<std::pair<int, int64_t>> Overlaps(const std::vector<int64_t>& ends, int64_t begin,
                                              int64_t end) {
  std::vector<std::pair<int, int64_t>> out;
  if (begin >= end) return out;
  int j = static_cast<int>(std::upper_bound(ends.begin(), ends.end(), begin) - ends.begin());
  for (; j < static_cast<int>(ends.size()); ++j) {
    const int64_t lo = std::max(begin, j == 0 ? int64_t{0} : ends[j - 1]);
    const int64_t hi = std::min(end, ends[j]);
    if (lo >= end) break;
    if (hi > lo) out.emplace_back(j, hi - lo);
  }
  return out;
}

}  // namespace

absl::StatusOr<DispatchCapacities> ComputeCapacities(const std::vector<std::vector<int>>& replicas,
                                                     const std::vector<std::vector<int64_t>>& tokens) {
  const int experts = static_cast<int>(replicas.size());
  if (experts == 0 || static_cast<int>(tokens.size()) != experts) {
    return absl::InvalidArgumentError(absl::StrCat("replicas has ", experts, " experts, tokens has ",
                                                   tokens.size()));
  }
  const int ranks = static_cast<int>(replicas[0].size());
  DispatchCapacities caps;
  caps.experts = experts;
  caps.ranks = ranks;
  caps.capacity.assign(experts, std::vector<int64_t>(ranks, 0));
  caps.overflow_end.assign(experts, std::vector<int64_t>(ranks, 0));
  caps.residual_end.assign(experts, std::vector<int64_t>(ranks, 0));
  std::vector<int64_t> r(ranks);
  for (int e = 0; e < experts; ++e) {
    if (static_cast<int>(replicas[e].size()) != ranks || static_cast<int>(tokens[e].size()) != ranks) {
      return absl::InvalidArgumentError(absl::StrCat("expert ", e, ": expected ", ranks, " ranks"));
    }
    int64_t total_tokens = 0, total_replicas = 0;
    for (int j = 0; j < ranks; ++j) {
      if (replicas[e][j] < 0 || tokens[e][j] < 0) {
        return absl::InvalidArgumentError(absl::StrCat("expert ", e, " rank ", j, ": negative count"));
      }
      r[j] = replicas[e][j];
      total_tokens += tokens[e][j];
      total_replicas += r[j];
    }
    if (total_tokens > 0 && total_replicas == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("expert ", e, " has ", total_tokens, " tokens but no replica"));
    }
    if (total_tokens > 0) caps.capacity[e] = LargestRemainder(total_tokens, r);
    int64_t overflow = 0, residual = 0;
    for (int j = 0; j < ranks; ++j) {
      const int64_t kept = std::min(tokens[e][j], caps.capacity[e][j]);
      overflow += tokens[e][j] - kept;
      residual += caps.capacity[e][j] - kept;
      caps.overflow_end[e][j] = overflow;
      caps.residual_end[e][j] = residual;
    }
  }
  return caps;
}

RankDispatch PlanRankDispatch(const DispatchCapacities& caps,
                              const std::vector<std::vector<int64_t>>& tokens, int rank) {
  RankDispatch out;
  out.kept.assign(caps.experts, 0);
  out.capacity.assign(caps.experts, 0);
  out.sends.resize(caps.experts);
  out.receives.resize(caps.experts);
  for (int e = 0; e < caps.experts; ++e) {
    const std::vector<int64_t>& over = caps.overflow_end[e];
    const std::vector<int64_t>& resid = caps.residual_end[e];
    out.capacity[e] = caps.capacity[e][rank];
    out.kept[e] = std::min(tokens[e][rank], caps.capacity[e][rank]);
    const int64_t send_begin = rank == 0 ? 0 : over[rank - 1];
    out.sends[e] = Overlaps(resid, send_begin, over[rank]);
    const int64_t receive_begin = rank == 0 ? 0 : resid[rank - 1];
    out.receives[e] = Overlaps(over, receive_begin, resid[rank]);
  }
  return out;
}

std::vector<int64_t> RankDispatch::SendSplits(int ranks, int self) const {
  std::vector<int64_t> splits(ranks, 0);
  for (size_t e = 0; e < kept.size(); ++e) {
    splits[self] += kept[e];
    for (const auto& [to, count] : sends[e]) splits[to] += count;
  }
  return splits;
}

std::vector<int64_t> RankDispatch::ReceiveSplits(int ranks, int self) const {
  std::vector<int64_t> splits(ranks, 0);
  for (size_t e = 0; e < kept.size(); ++e) {
    splits[self] += kept[e];
    for (const auto& [from, count] : receives[e]) splits[from] += count;
  }
  return splits;
}

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
  absl::StatusOr<DispatchCapacities> caps = ComputeCapacities(replicas, tokens);
  if (!caps.ok()) return caps.status();
  DispatchPlan plan;
  plan.experts = caps->experts;
  plan.ranks = caps->ranks;
  plan.capacity = caps->capacity;
  plan.send.assign(plan.experts,
                   std::vector<std::vector<int64_t>>(plan.ranks, std::vector<int64_t>(plan.ranks, 0)));
  for (int i = 0; i < plan.ranks; ++i) {
    const RankDispatch rank = PlanRankDispatch(*caps, tokens, i);
    for (int e = 0; e < plan.experts; ++e) {
      plan.send[e][i][i] = rank.kept[e];
      for (const auto& [to, count] : rank.sends[e]) plan.send[e][i][to] += count;
    }
  }
  return plan;
}

}  // namespace warden::lazarus
