#include "distributed/lazarus/recovery.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"

namespace warden::lazarus {
namespace {

using NodeSet = std::vector<int>;  // sorted node indices

double LogSumExp(double a, double b) {
  if (a == -std::numeric_limits<double>::infinity()) return b;
  if (b == -std::numeric_limits<double>::infinity()) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

// The minimal node sets whose total failure loses some expert: one set per
// (layer, expert), duplicates removed, supersets removed (if S_a ⊆ S_b, losing
// S_b's nodes already loses a).
std::vector<NodeSet> MinimalSets(const std::vector<Placement>& layers, int experts) {
  std::vector<NodeSet> sets;
  for (const Placement& p : layers) {
    std::vector<NodeSet> per_expert(experts);
    for (int j = 0; j < p.num_nodes(); ++j) {
      for (int e : p.nodes[j]) {
        if (e >= 0 && e < experts && (per_expert[e].empty() || per_expert[e].back() != j)) {
          per_expert[e].push_back(j);
        }
      }
    }
    for (NodeSet& s : per_expert) sets.push_back(std::move(s));
  }
  std::sort(sets.begin(), sets.end(), [](const NodeSet& a, const NodeSet& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  sets.erase(std::unique(sets.begin(), sets.end()), sets.end());
  std::vector<NodeSet> minimal;
  for (const NodeSet& s : sets) {
    bool has_subset = false;
    for (const NodeSet& m : minimal) {
      if (std::includes(s.begin(), s.end(), m.begin(), m.end())) {
        has_subset = true;
        break;
      }
    }
    if (!has_subset) minimal.push_back(s);
  }
  return minimal;
}

bool PairwiseDisjoint(const std::vector<NodeSet>& sets, int nodes) {
  std::vector<char> used(nodes, 0);
  for (const NodeSet& s : sets) {
    for (int j : s) {
      if (used[j]) return false;
      used[j] = 1;
    }
  }
  return true;
}

// Exact P(no set fully failed) for pairwise-disjoint sets: counts the k-subsets
// of failed nodes that leave every set a survivor, in log space (no cancellation).
double DisjointProbability(const std::vector<int>& sizes, int nodes, int failures) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  std::vector<double> log_ways(failures + 1, neg_inf);  // failed nodes inside the sets so far
  log_ways[0] = 0;
  int covered = 0;
  for (int b : sizes) {
    covered += b;
    std::vector<double> next(failures + 1, neg_inf);
    for (int t = 0; t <= failures; ++t) {
      if (log_ways[t] == neg_inf) continue;
      for (int j = 0; j < b && t + j <= failures; ++j) {  // j < b: the set keeps a survivor
        next[t + j] = LogSumExp(next[t + j], log_ways[t] + LogBinomial(b, j));
      }
    }
    log_ways = std::move(next);
  }
  const int free_nodes = nodes - covered;
  double log_good = neg_inf;
  for (int t = 0; t <= failures; ++t) {
    log_good = LogSumExp(log_good, log_ways[t] + LogBinomial(free_nodes, failures - t));
  }
  return std::exp(log_good - LogBinomial(nodes, failures));
}

}  // namespace

double LogBinomial(int64_t n, int64_t k) {
  if (k < 0 || k > n || n < 0) return -std::numeric_limits<double>::infinity();
  return std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(k) + 1) -
         std::lgamma(static_cast<double>(n - k) + 1);
}

double DisjointBlocksProbability(const std::vector<int>& block_sizes, int nodes, int failures) {
  return DisjointProbability(block_sizes, nodes, failures);
}

absl::StatusOr<RecoveryEstimate> RecoveryProbability(const std::vector<Placement>& layers,
                                                     int experts_per_layer, int failures,
                                                     const RecoveryOptions& options) {
  if (layers.empty()) return absl::InvalidArgumentError("no placements given");
  const int nodes = layers[0].num_nodes();
  for (const Placement& p : layers) {
    if (p.num_nodes() != nodes) {
      return absl::InvalidArgumentError(absl::StrCat("layers span different node counts: ", nodes,
                                                     " and ", p.num_nodes()));
    }
  }
  if (failures < 0 || failures > nodes) {
    return absl::InvalidArgumentError(
        absl::StrCat("failures must be in [0, ", nodes, "], got ", failures));
  }
  RecoveryEstimate out;
  const std::vector<NodeSet> sets = MinimalSets(layers, experts_per_layer);
  auto finish = [&](double p, const char* method) {
    out.probability = std::clamp(p, 0.0, 1.0);
    out.ci_low = out.ci_high = out.probability;
    out.method = method;
    return out;
  };
  for (const NodeSet& s : sets) {
    if (s.empty()) return finish(0.0, "enumeration");  // an expert with no replica
  }
  if (failures == 0) return finish(1.0, "enumeration");

  const double log_total = LogBinomial(nodes, failures);
  const RecoveryMethod method = options.method;
  auto wants = [&](RecoveryMethod m) { return method == RecoveryMethod::kAuto || method == m; };
  const bool can_enumerate = nodes <= 64 && log_total <= std::log(2e6);
  const bool disjoint = PairwiseDisjoint(sets, nodes);
  if ((method == RecoveryMethod::kEnumeration && !can_enumerate) ||
      (method == RecoveryMethod::kDisjoint && !disjoint) ||
      (method == RecoveryMethod::kInclusionExclusion && sets.size() > 24)) {
    return absl::InvalidArgumentError("the requested recovery method does not apply here");
  }
  if (wants(RecoveryMethod::kEnumeration) && can_enumerate) {
    // Enumerate every failure set (Gosper's hack over k-subsets of N bits).
    std::vector<uint64_t> masks;
    for (const NodeSet& s : sets) {
      uint64_t m = 0;
      for (int j : s) m |= uint64_t{1} << j;
      masks.push_back(m);
    }
    // 1 <= failures <= nodes <= 64; failures == 64 only when nodes == 64.
    uint64_t failed = failures == 64 ? ~uint64_t{0} : (uint64_t{1} << failures) - 1;
    int64_t good = 0, total = 0;
    while (true) {
      bool lost = false;
      for (uint64_t m : masks) {
        if ((m & failed) == m) {
          lost = true;
          break;
        }
      }
      good += lost ? 0 : 1;
      ++total;
      // Next k-subset in colexicographic order (Gosper's hack).
      const uint64_t lowest = failed & (~failed + 1);
      const uint64_t ripple = failed + lowest;
      if (ripple == 0) break;  // carried out of bit 63: done
      failed = (((ripple ^ failed) >> 2) / lowest) | ripple;
      if (nodes < 64 && (failed >> nodes) != 0) break;
    }
    return finish(static_cast<double>(good) / static_cast<double>(total), "enumeration");
  }
  if (wants(RecoveryMethod::kDisjoint) && disjoint) {
    std::vector<int> sizes;
    for (const NodeSet& s : sets) sizes.push_back(static_cast<int>(s.size()));
    return finish(DisjointProbability(sizes, nodes, failures), "disjoint");
  }
  if (wants(RecoveryMethod::kInclusionExclusion) && sets.size() <= 24) {
    // Inclusion–exclusion: P(lost) = Σ_{T≠∅} (−1)^{|T|+1} C(N − |∪T|, k − |∪T|) / C(N, k).
    const int m = static_cast<int>(sets.size());
    double p_lost = 0;
    std::vector<char> in_union(nodes, 0);
    for (uint32_t subset = 1; subset < (uint32_t{1} << m); ++subset) {
      std::fill(in_union.begin(), in_union.end(), 0);
      int union_size = 0;
      for (int i = 0; i < m; ++i) {
        if (!(subset >> i & 1)) continue;
        for (int j : sets[i]) {
          if (!in_union[j]) {
            in_union[j] = 1;
            ++union_size;
          }
        }
      }
      const double term = std::exp(LogBinomial(nodes - union_size, failures - union_size) - log_total);
      p_lost += (__builtin_popcount(subset) % 2 == 1) ? term : -term;
    }
    return finish(1.0 - p_lost, "inclusion-exclusion");
  }
  // Monte Carlo with a Wilson 95% interval.
  const int64_t samples = std::max<int64_t>(options.samples, 1);
  std::mt19937_64 rng(options.seed);
  std::vector<int> perm(nodes);
  std::vector<char> failed(nodes);
  int64_t good = 0;
  for (int64_t s = 0; s < samples; ++s) {
    std::iota(perm.begin(), perm.end(), 0);
    std::fill(failed.begin(), failed.end(), 0);
    for (int i = 0; i < failures; ++i) {
      std::uniform_int_distribution<int> pick(i, nodes - 1);
      std::swap(perm[i], perm[pick(rng)]);
      failed[perm[i]] = 1;
    }
    bool lost = false;
    for (const NodeSet& set : sets) {
      bool all = true;
      for (int j : set) {
        if (!failed[j]) {
          all = false;
          break;
        }
      }
      if (all) {
        lost = true;
        break;
      }
    }
    good += lost ? 0 : 1;
  }
  const double n = static_cast<double>(samples), p = static_cast<double>(good) / n, z = 1.96;
  const double center = (p + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n);
  out.probability = p;
  out.exact = false;
  out.ci_low = std::max(0.0, center - half);
  out.ci_high = std::min(1.0, center + half);
  out.method = "monte-carlo";
  return out;
}

}  // namespace warden::lazarus
