// Exhaustive check of our placement search (acceptance of the planner issue):
// on every instance with N <= 6 nodes, c <= 3 slots and E <= 6 experts (every
// replica vector, every number of failures), PlaceOptimized's probability equals
// the brute-force optimum, and never falls below MRO's.
//
// The brute force here is independent of the search: it enumerates, expert by
// expert, how many replicas each node gets (node-major symmetry broken by
// keeping node count-vectors in non-increasing order), and scores every
// complete placement for all failure counts at once.
#include <algorithm>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "distributed/lazarus/placement.h"
#include "distributed/lazarus/recovery.h"

namespace warden::lazarus {
namespace {

// Best P(recovery) for each k over all placements of `r` on N nodes × c slots.
std::vector<double> BruteForceOptimum(const std::vector<int>& r, int nodes, int slots) {
  const int experts = static_cast<int>(r.size());
  std::vector<std::vector<int>> counts(nodes, std::vector<int>(experts, 0));  // node × expert
  std::vector<int> used(nodes, 0);
  std::vector<double> best(nodes + 1, 0.0);
  std::function<void(int, int, int)> assign = [&](int e, int node, int left) {
    if (e == experts) {
      std::vector<uint64_t> masks(experts, 0);
      for (int j = 0; j < nodes; ++j) {
        for (int x = 0; x < experts; ++x) {
          if (counts[j][x] > 0) masks[x] |= uint64_t{1} << j;
        }
      }
      std::vector<int> good(nodes + 1, 0), total(nodes + 1, 0);
      for (uint64_t failed = 0; failed < (uint64_t{1} << nodes); ++failed) {
        const int k = __builtin_popcountll(failed);
        bool lost = false;
        for (uint64_t m : masks) lost |= (m & failed) == m;
        ++total[k];
        good[k] += lost ? 0 : 1;
      }
      for (int k = 0; k <= nodes; ++k) {
        best[k] = std::max(best[k], static_cast<double>(good[k]) / total[k]);
      }
      return;
    }
    if (node == nodes) {
      if (left == 0) assign(e + 1, 0, e + 1 < experts ? r[e + 1] : 0);
      return;
    }
    const int room = slots - used[node];
    for (int take = std::min(room, left); take >= 0; --take) {
      counts[node][e] = take;
      // Symmetry: node count-vectors (over experts 0..e) non-increasing in node order.
      bool ordered = true;
      if (node > 0) {
        for (int x = 0; x <= e; ++x) {
          if (counts[node - 1][x] != counts[node][x]) {
            ordered = counts[node - 1][x] > counts[node][x];
            break;
          }
        }
      }
      if (ordered) {
        used[node] += take;
        assign(e, node + 1, left - take);
        used[node] -= take;
      }
    }
    counts[node][e] = 0;
  };
  assign(0, 0, r[0]);
  return best;
}

// All non-decreasing replica vectors of `parts` positive parts summing to `total`.
void Partitions(int total, int parts, int min_part, std::vector<int>& current,
                std::vector<std::vector<int>>& out) {
  if (parts == 0) {
    if (total == 0) out.push_back(current);
    return;
  }
  for (int p = min_part; p * parts <= total; ++p) {
    current.push_back(p);
    Partitions(total - p, parts - 1, p, current, out);
    current.pop_back();
  }
}

class OptimalityTest : public ::testing::TestWithParam<int> {};

TEST_P(OptimalityTest, OursEqualsBruteForceOptimum) {
  const int nodes = GetParam();
  int instances = 0, improved = 0;
  for (int slots = 1; slots <= 3; ++slots) {
    for (int experts = 1; experts <= std::min(6, nodes * slots); ++experts) {
      std::vector<std::vector<int>> replica_vectors;
      std::vector<int> current;
      Partitions(nodes * slots, experts, 1, current, replica_vectors);
      for (const std::vector<int>& r : replica_vectors) {
        const std::vector<double> optimum = BruteForceOptimum(r, nodes, slots);
        for (int k = 1; k < nodes; ++k) {
          SearchOptions options;
          options.target_failures = k;
          absl::StatusOr<SearchResult> ours = PlaceOptimized(r, nodes, slots, options);
          ASSERT_TRUE(ours.ok()) << ours.status();
          ASSERT_TRUE(ours->exact);
          EXPECT_NEAR(ours->probability, optimum[k], 1e-12)
              << "N=" << nodes << " c=" << slots << " k=" << k << " r[0]=" << r[0];
          EXPECT_GE(ours->probability, ours->mro_probability - 1e-12);
          // The reported probability is the placement's real one.
          EXPECT_NEAR(RecoveryProbability({ours->placement}, experts, k)->probability,
                      ours->probability, 1e-12);
          ++instances;
          improved += ours->probability > ours->mro_probability + 1e-12;
        }
      }
    }
  }
  RecordProperty("instances", instances);
  RecordProperty("improved_over_mro", improved);
  std::printf("N=%d: %d instances, ours beats MRO on %d\n", nodes, instances, improved);
}

INSTANTIATE_TEST_SUITE_P(Nodes, OptimalityTest, ::testing::Values(2, 3, 4, 5, 6));

}  // namespace
}  // namespace warden::lazarus
