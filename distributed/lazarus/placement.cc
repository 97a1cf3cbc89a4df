#include "distributed/lazarus/placement.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "distributed/lazarus/recovery.h"

namespace warden::lazarus {
namespace {

Placement EmptyPlacement(int nodes, int slots) {
  Placement p;
  p.slots = slots;
  p.nodes.assign(nodes, {});
  return p;
}

// Experts ordered by ascending replica count, ties by index (the paper's ranks).
std::vector<int> RankOrder(const std::vector<int>& replicas) {
  std::vector<int> order(replicas.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return replicas[a] < replicas[b]; });
  return order;
}

// Puts each expert's `left[e]` remaining replicas into vacant slots: the node
// with the most vacancies first, preferring nodes without that expert, then the
// lowest index.
void FillEvenly(const std::vector<int>& order, std::vector<int> left, Placement& p) {
  for (int e : order) {
    for (; left[e] > 0; --left[e]) {
      int best = -1;
      for (int j = 0; j < p.num_nodes(); ++j) {
        const int vacant = p.slots - static_cast<int>(p.nodes[j].size());
        if (vacant == 0) continue;
        if (best < 0) {
          best = j;
          continue;
        }
        const int best_vacant = p.slots - static_cast<int>(p.nodes[best].size());
        const bool has = std::count(p.nodes[j].begin(), p.nodes[j].end(), e) > 0;
        const bool best_has = std::count(p.nodes[best].begin(), p.nodes[best].end(), e) > 0;
        if (vacant > best_vacant || (vacant == best_vacant && !has && best_has)) best = j;
      }
      p.nodes[best].push_back(e);
    }
  }
}

double SumOverFailures(const Placement& p, int experts) {
  double sum = 0;
  for (int k = 1; k < p.num_nodes(); ++k) {
    absl::StatusOr<RecoveryEstimate> r = RecoveryProbability({p}, experts, k);
    if (r.ok()) sum += r->probability;
  }
  return sum;
}

// P(recovery) for every failure count k = 0..N of a small placement (N <= 20),
// by checking each expert's node mask against every failure mask.
std::vector<double> AllFailureCounts(const std::vector<uint64_t>& expert_masks, int nodes) {
  std::vector<int64_t> good(nodes + 1, 0), total(nodes + 1, 0);
  for (uint64_t failed = 0; failed < (uint64_t{1} << nodes); ++failed) {
    const int k = __builtin_popcountll(failed);
    ++total[k];
    bool lost = false;
    for (uint64_t m : expert_masks) {
      if ((m & failed) == m) {
        lost = true;
        break;
      }
    }
    good[k] += lost ? 0 : 1;
  }
  std::vector<double> p(nodes + 1);
  for (int k = 0; k <= nodes; ++k) p[k] = static_cast<double>(good[k]) / static_cast<double>(total[k]);
  return p;
}

// Node-symmetric exhaustive search: nodes are chosen as non-decreasing column
// indices over all multisets of c experts, with replica counts enforced.
class ExactSearch {
 public:
  ExactSearch(const std::vector<int>& replicas, int nodes, int slots, int failures)
      : replicas_(replicas), experts_(static_cast<int>(replicas.size())), nodes_(nodes),
        slots_(slots), failures_(failures) {
    std::vector<int> column;
    BuildColumns(0, column);
  }

  void Run(Placement& best, double& best_probability, double& best_tiebreak, int64_t& evaluated) {
    best_ = &best;
    best_probability_ = &best_probability;
    best_tiebreak_ = &best_tiebreak;
    evaluated_ = &evaluated;
    std::vector<int> left = replicas_;
    std::vector<int> chosen;
    Dfs(0, left, chosen);
  }

 private:
  void BuildColumns(int from, std::vector<int>& column) {
    if (static_cast<int>(column.size()) == slots_) {
      columns_.push_back(column);
      return;
    }
    for (int e = from; e < experts_; ++e) {
      column.push_back(e);
      BuildColumns(e, column);
      column.pop_back();
    }
  }

  void Dfs(size_t first_column, std::vector<int>& left, std::vector<int>& chosen) {
    const int remaining_nodes = nodes_ - static_cast<int>(chosen.size());
    if (remaining_nodes == 0) {
      Placement p = EmptyPlacement(nodes_, slots_);
      for (int j = 0; j < nodes_; ++j) p.nodes[j] = columns_[chosen[j]];
      Score(p);
      return;
    }
    for (size_t c = first_column; c < columns_.size(); ++c) {
      const std::vector<int>& column = columns_[c];
      bool fits = true;
      for (int e : column) fits &= --left[e] >= 0;
      // Every expert must still fit in the remaining nodes (one copy per slot).
      if (fits) {
        for (int e = 0; e < experts_ && fits; ++e) fits = left[e] <= (remaining_nodes - 1) * slots_;
      }
      if (fits) {
        chosen.push_back(static_cast<int>(c));
        Dfs(c, left, chosen);
        chosen.pop_back();
      }
      for (int e : column) ++left[e];
    }
  }

  void Score(const Placement& p) {
    ++*evaluated_;
    const std::vector<double> all = AllFailureCounts(p.ExpertNodeMasks(experts_), nodes_);
    const double probability = all[failures_];
    if (probability < *best_probability_ - 1e-12) return;
    double tiebreak = 0;
    for (int k = 1; k < nodes_; ++k) tiebreak += all[k];
    if (probability > *best_probability_ + 1e-12 || tiebreak > *best_tiebreak_ + 1e-12) {
      *best_ = p;
      *best_probability_ = probability;
      *best_tiebreak_ = tiebreak;
    }
  }

  const std::vector<int>& replicas_;
  int experts_, nodes_, slots_, failures_;
  std::vector<std::vector<int>> columns_;
  Placement* best_ = nullptr;
  double* best_probability_ = nullptr;
  double* best_tiebreak_ = nullptr;
  int64_t* evaluated_ = nullptr;
};

}  // namespace

std::vector<int> Placement::ReplicaCounts(int experts) const {
  std::vector<int> counts(experts, 0);
  for (const auto& node : nodes) {
    for (int e : node) {
      if (e >= 0 && e < experts) ++counts[e];
    }
  }
  return counts;
}

std::vector<uint64_t> Placement::ExpertNodeMasks(int experts) const {
  std::vector<uint64_t> masks(experts, 0);
  for (int j = 0; j < num_nodes() && j < 64; ++j) {
    for (int e : nodes[j]) {
      if (e >= 0 && e < experts) masks[e] |= uint64_t{1} << j;
    }
  }
  return masks;
}

absl::Status ValidateReplicas(const std::vector<int>& replicas, int nodes, int slots) {
  if (replicas.empty() || nodes < 1 || slots < 1) {
    return absl::InvalidArgumentError("need at least one expert, node and slot");
  }
  int64_t sum = 0;
  for (int r : replicas) {
    if (r < 1) return absl::InvalidArgumentError(absl::StrCat("every expert needs >= 1 replica, got ", r));
    sum += r;
  }
  if (sum != static_cast<int64_t>(nodes) * slots) {
    return absl::InvalidArgumentError(absl::StrCat("replicas sum to ", sum, " but ", nodes,
                                                   " nodes x ", slots, " slots = ",
                                                   static_cast<int64_t>(nodes) * slots));
  }
  return absl::OkStatus();
}

absl::StatusOr<Placement> PlaceMro(const std::vector<int>& replicas, int nodes, int slots) {
  if (absl::Status s = ValidateReplicas(replicas, nodes, slots); !s.ok()) return s;
  const int experts = static_cast<int>(replicas.size());
  const std::vector<int> order = RankOrder(replicas);
  Placement p = EmptyPlacement(nodes, slots);
  std::vector<int> left = replicas;
  if (experts <= slots) {
    // Nested sets: expert e on the first min(r_e, N) nodes.
    for (int e : order) {
      const int count = std::min(replicas[e], nodes);
      for (int j = 0; j < count; ++j) p.nodes[j].push_back(e);
      left[e] -= count;
    }
  } else {
    // Groups of c consecutive ranks on disjoint node blocks sized by the group's
    // rarest expert; the last block takes what is left of the nodes.
    const int groups = (experts + slots - 1) / slots;
    int next_node = 0;
    for (int g = 0; g < groups; ++g) {
      const int first = g * slots;
      const int last = std::min(experts, first + slots);
      const int block = std::min(nodes - next_node, replicas[order[first]]);
      for (int j = next_node; j < next_node + block; ++j) {
        for (int rank = first; rank < last; ++rank) {
          p.nodes[j].push_back(order[rank]);
          --left[order[rank]];
        }
      }
      next_node += block;
    }
  }
  FillEvenly(order, left, p);
  return p;
}

absl::StatusOr<Placement> PlaceSpread(const std::vector<int>& replicas, int nodes, int slots) {
  if (absl::Status s = ValidateReplicas(replicas, nodes, slots); !s.ok()) return s;
  Placement p = EmptyPlacement(nodes, slots);
  int cursor = 0;
  for (size_t e = 0; e < replicas.size(); ++e) {
    for (int i = 0; i < replicas[e]; ++i) {
      while (static_cast<int>(p.nodes[cursor].size()) == slots) cursor = (cursor + 1) % nodes;
      p.nodes[cursor].push_back(static_cast<int>(e));
      cursor = (cursor + 1) % nodes;
    }
  }
  return p;
}

absl::StatusOr<Placement> PlaceCompact(const std::vector<int>& replicas, int nodes, int slots) {
  if (absl::Status s = ValidateReplicas(replicas, nodes, slots); !s.ok()) return s;
  Placement p = EmptyPlacement(nodes, slots);
  int node = 0;
  for (size_t e = 0; e < replicas.size(); ++e) {
    for (int i = 0; i < replicas[e]; ++i) {
      if (static_cast<int>(p.nodes[node].size()) == slots) ++node;
      p.nodes[node].push_back(static_cast<int>(e));
    }
  }
  return p;
}

absl::StatusOr<SearchResult> PlaceOptimized(const std::vector<int>& replicas, int nodes, int slots,
                                            const SearchOptions& options) {
  if (absl::Status s = ValidateReplicas(replicas, nodes, slots); !s.ok()) return s;
  if (options.target_failures < 0 || options.target_failures > nodes) {
    return absl::InvalidArgumentError(
        absl::StrCat("target failures must be in [0, ", nodes, "], got ", options.target_failures));
  }
  const auto start = std::chrono::steady_clock::now();
  const int experts = static_cast<int>(replicas.size());
  absl::StatusOr<Placement> mro = PlaceMro(replicas, nodes, slots);
  if (!mro.ok()) return mro.status();
  absl::StatusOr<RecoveryEstimate> mro_p = RecoveryProbability({*mro}, experts, options.target_failures);
  if (!mro_p.ok()) return mro_p.status();

  SearchResult result;
  result.placement = *mro;
  result.mro_probability = mro_p->probability;
  result.probability = mro_p->probability;
  double tiebreak = SumOverFailures(*mro, experts);
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  if (nodes <= options.exact_max_nodes && slots <= options.exact_max_slots) {
    ExactSearch search(replicas, nodes, slots, options.target_failures);
    search.Run(result.placement, result.probability, tiebreak, result.evaluated);
    result.exact = true;
    result.seconds = elapsed();
    return result;
  }

  // Local search: swap two slots on different nodes holding different experts;
  // keep the swap if P at the target (then the sum over all k) does not drop.
  std::mt19937_64 rng(options.seed);
  Placement current = result.placement;
  double current_p = result.probability, current_tie = tiebreak;
  std::uniform_int_distribution<int> pick_node(0, nodes - 1), pick_slot(0, slots - 1);
  const bool cheap_tiebreak = nodes <= 16;
  while (elapsed() < options.time_budget_seconds && nodes > 1) {
    const int a = pick_node(rng), b = pick_node(rng);
    const int sa = pick_slot(rng), sb = pick_slot(rng);
    if (a == b || current.nodes[a][sa] == current.nodes[b][sb]) continue;
    std::swap(current.nodes[a][sa], current.nodes[b][sb]);
    ++result.evaluated;
    RecoveryOptions estimate;
    estimate.samples = 20000;
    estimate.seed = static_cast<uint64_t>(result.evaluated);
    absl::StatusOr<RecoveryEstimate> r =
        RecoveryProbability({current}, experts, options.target_failures, estimate);
    bool keep = r.ok() && r->probability >= current_p - 1e-12;
    double tie = current_tie;
    if (keep && r->probability <= current_p + 1e-12 && cheap_tiebreak) {
      tie = SumOverFailures(current, experts);
      keep = tie >= current_tie - 1e-12;
    }
    if (keep) {
      current_p = r->probability;
      current_tie = tie;
      if (current_p > result.probability + 1e-12 ||
          (current_p >= result.probability - 1e-12 && current_tie > tiebreak + 1e-12)) {
        result.placement = current;
        result.probability = current_p;
        tiebreak = current_tie;
      }
    } else {
      std::swap(current.nodes[a][sa], current.nodes[b][sb]);
    }
  }
  result.seconds = elapsed();
  return result;
}

std::string PlacementGrid(const Placement& placement) {
  std::string out = "      ";
  for (int j = 0; j < placement.num_nodes(); ++j) absl::StrAppendFormat(&out, "n%-3d", j);
  out += "\n";
  for (int s = 0; s < placement.slots; ++s) {
    absl::StrAppendFormat(&out, "slot%d ", s);
    for (const auto& node : placement.nodes) {
      if (s < static_cast<int>(node.size())) {
        absl::StrAppendFormat(&out, "e%-3d", node[s]);
      } else {
        out += "-   ";
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace warden::lazarus
