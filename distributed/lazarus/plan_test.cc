// Allocation, placement, recovery probability, dispatcher and reconfiguration:
// the spec's worked examples plus properties over thousands of random instances.
#include <algorithm>
#include <numeric>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "distributed/lazarus/allocation.h"
#include "distributed/lazarus/dispatcher.h"
#include "distributed/lazarus/placement.h"
#include "distributed/lazarus/reconfigure.h"
#include "distributed/lazarus/recovery.h"

namespace warden::lazarus {
namespace {

using ::testing::ElementsAre;

TEST(AllocationTest, SpecWorkedExample) {
  absl::StatusOr<ReplicaAllocation> a = AllocateReplicas({50, 20, 10, 5, 5, 4, 3, 3}, 10, 6, 2);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->replicas, ElementsAre(30, 12, 6, 3, 3, 2, 2, 2));
  EXPECT_EQ(a->fault_tolerance, 2);
}

TEST(AllocationTest, PropertiesOnRandomInstances) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 5000; ++trial) {
    const int experts = 1 + static_cast<int>(rng() % 40);
    const int nodes = 1 + static_cast<int>(rng() % 50);
    const int slots = 1 + static_cast<int>(rng() % 8);
    const int f = 1 + static_cast<int>(rng() % 3);
    std::vector<double> loads(experts);
    std::lognormal_distribution<double> skew(0.0, 1.5);
    for (double& t : loads) t = (rng() % 10 == 0) ? 0.0 : skew(rng);
    absl::StatusOr<ReplicaAllocation> a = AllocateReplicas(loads, nodes, slots, f);
    if (nodes * slots < experts) {
      EXPECT_FALSE(a.ok());
      continue;
    }
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(std::accumulate(a->replicas.begin(), a->replicas.end(), 0), nodes * slots);
    const int enforced = std::min(f, nodes * slots / experts);
    EXPECT_EQ(a->fault_tolerance, enforced);
    for (int e = 0; e < experts; ++e) {
      EXPECT_GE(a->replicas[e], enforced);
      for (int o = 0; o < experts; ++o) {
        if (loads[e] < loads[o]) EXPECT_LE(a->replicas[e], a->replicas[o]) << trial;
      }
    }
  }
}

TEST(AllocationTest, RejectsBadInput) {
  EXPECT_FALSE(AllocateReplicas({1, 2, 3}, 1, 2, 1).ok());   // 2 slots, 3 experts
  EXPECT_FALSE(AllocateReplicas({1, -2}, 2, 2, 1).ok());
  EXPECT_FALSE(AllocateReplicas({}, 2, 2, 1).ok());
  EXPECT_FALSE(AllocateReplicas({1, 1}, 2, 2, 0).ok());
}

TEST(PlacementTest, EveryPolicyPlacesExactlyTheReplicas) {
  std::mt19937_64 rng(2);
  for (int trial = 0; trial < 2000; ++trial) {
    const int nodes = 1 + static_cast<int>(rng() % 12), slots = 1 + static_cast<int>(rng() % 6);
    const int experts = 1 + static_cast<int>(rng() % (nodes * slots));
    std::vector<double> loads(experts);
    for (double& t : loads) t = static_cast<double>(rng() % 100);
    const std::vector<int> r = AllocateReplicas(loads, nodes, slots, 1)->replicas;
    for (auto place : {PlaceMro, PlaceSpread, PlaceCompact}) {
      absl::StatusOr<Placement> p = place(r, nodes, slots);
      ASSERT_TRUE(p.ok()) << p.status();
      EXPECT_EQ(p->ReplicaCounts(experts), r);
      for (const auto& node : p->nodes) EXPECT_EQ(static_cast<int>(node.size()), slots);
    }
  }
  EXPECT_FALSE(PlaceMro({1, 2}, 2, 2).ok());  // sums to 3, not 4
}

// The spec's counterexample: N = 5, c = 3, r = (2, 3, 4, 6), 3 failed nodes.
TEST(PlacementTest, MroIsNotOptimalWhenSlotsDoNotDivideExperts) {
  const std::vector<int> r = {2, 3, 4, 6};
  absl::StatusOr<Placement> mro = PlaceMro(r, 5, 3);
  ASSERT_TRUE(mro.ok());
  EXPECT_NEAR(RecoveryProbability({*mro}, 4, 3)->probability, 0.6, 1e-12);
  SearchOptions options;
  options.target_failures = 3;
  absl::StatusOr<SearchResult> ours = PlaceOptimized(r, 5, 3, options);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_TRUE(ours->exact);
  EXPECT_NEAR(ours->mro_probability, 0.6, 1e-12);
  EXPECT_NEAR(ours->probability, 0.7, 1e-12);
  EXPECT_NEAR(RecoveryProbability({ours->placement}, 4, 3)->probability, 0.7, 1e-12);
  EXPECT_EQ(ours->placement.ReplicaCounts(4), r);
}

// MRO's recovery probability equals the closed form over its blocks.
TEST(RecoveryTest, MroMatchesClosedForm) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    const int nodes = 2 + static_cast<int>(rng() % 9), slots = 1 + static_cast<int>(rng() % 5);
    const int experts = 1 + static_cast<int>(rng() % std::min(16, nodes * slots));
    std::vector<double> loads(experts);
    for (double& t : loads) t = static_cast<double>(1 + rng() % 50);
    const std::vector<int> r = AllocateReplicas(loads, nodes, slots, 1)->replicas;
    const Placement p = *PlaceMro(r, nodes, slots);
    // The blocks: groups of c consecutive ranks sized by their rarest expert.
    std::vector<int> sorted = r;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> blocks;
    if (experts <= slots) {
      blocks = {std::min(sorted[0], nodes)};
    } else {
      int used = 0;
      for (int g = 0; g * slots < experts; ++g) {
        blocks.push_back(std::min(nodes - used, sorted[g * slots]));
        used += blocks.back();
      }
    }
    for (int k = 0; k <= nodes; ++k) {
      std::vector<int> nonempty;
      for (int b : blocks) {
        if (b > 0) nonempty.push_back(b);
      }
      EXPECT_NEAR(RecoveryProbability({p}, experts, k)->probability,
                  DisjointBlocksProbability(nonempty, nodes, k), 1e-9)
          << "trial " << trial << " k " << k;
    }
  }
}

// Every exact method gives the same number where it applies, and the Monte
// Carlo interval covers it.
TEST(RecoveryTest, MethodsAgree) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const int nodes = 4 + static_cast<int>(rng() % 9), slots = 1 + static_cast<int>(rng() % 3);
    const int experts = 2 + static_cast<int>(rng() % std::min(6, nodes * slots - 1));
    std::vector<double> loads(experts);
    for (double& t : loads) t = static_cast<double>(1 + rng() % 20);
    const std::vector<int> r = AllocateReplicas(loads, nodes, slots, 1)->replicas;
    for (auto place : {PlaceMro, PlaceSpread, PlaceCompact}) {
      const Placement p = *place(r, nodes, slots);
      for (int k = 1; k < nodes; ++k) {
        RecoveryOptions options;
        options.method = RecoveryMethod::kEnumeration;
        const double exact = RecoveryProbability({p}, experts, k, options)->probability;
        options.method = RecoveryMethod::kInclusionExclusion;
        absl::StatusOr<RecoveryEstimate> ie = RecoveryProbability({p}, experts, k, options);
        if (ie.ok()) EXPECT_NEAR(ie->probability, exact, 1e-9);
        options.method = RecoveryMethod::kDisjoint;
        absl::StatusOr<RecoveryEstimate> dj = RecoveryProbability({p}, experts, k, options);
        if (dj.ok()) EXPECT_NEAR(dj->probability, exact, 1e-9);
        options.method = RecoveryMethod::kMonteCarlo;
        options.samples = 20000;
        options.seed = static_cast<uint64_t>(trial * 100 + k);
        absl::StatusOr<RecoveryEstimate> mc = RecoveryProbability({p}, experts, k, options);
        ASSERT_TRUE(mc.ok());
        EXPECT_FALSE(mc->exact);
        // 95% intervals: allow a little slack so 1 in 20 misses cannot fail the test.
        EXPECT_GE(exact, mc->ci_low - 0.01);
        EXPECT_LE(exact, mc->ci_high + 0.01);
      }
    }
  }
}

TEST(RecoveryTest, MultipleLayersAndErrors) {
  const Placement mro = *PlaceMro({2, 3, 4, 6}, 5, 3);
  const Placement spread = *PlaceSpread({2, 3, 4, 6}, 5, 3);
  for (int k = 0; k <= 5; ++k) {
    const double a = RecoveryProbability({mro}, 4, k)->probability;
    const double b = RecoveryProbability({spread}, 4, k)->probability;
    const double both = RecoveryProbability({mro, spread}, 4, k)->probability;
    EXPECT_LE(both, std::min(a, b) + 1e-12);  // every layer must survive
  }
  EXPECT_FALSE(RecoveryProbability({mro}, 4, 6).ok());
  EXPECT_FALSE(RecoveryProbability({mro, *PlaceMro({1, 1}, 1, 2)}, 4, 1).ok());
  // A large instance (1000 nodes) goes through the closed form for MRO.
  const std::vector<int> r = AllocateReplicas({50, 20, 10, 5, 5, 4, 3, 3}, 1000, 6, 2)->replicas;
  absl::StatusOr<RecoveryEstimate> big = RecoveryProbability({*PlaceMro(r, 1000, 6)}, 8, 500);
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(big->exact);
  EXPECT_GT(big->probability, 0.0);
  EXPECT_LT(big->probability, 1.0);
}

TEST(DispatcherTest, ConservesTokensAndBalancesWithinOneTokenPerReplica) {
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 2000; ++trial) {
    const int ranks = 1 + static_cast<int>(rng() % 9), experts = 1 + static_cast<int>(rng() % 8);
    std::vector<std::vector<int>> replicas(experts, std::vector<int>(ranks, 0));
    std::vector<std::vector<int64_t>> tokens(experts, std::vector<int64_t>(ranks, 0));
    for (int e = 0; e < experts; ++e) {
      replicas[e][rng() % ranks] += 1;  // at least one replica
      for (int j = 0; j < ranks; ++j) {
        replicas[e][j] += static_cast<int>(rng() % 3 == 0 ? rng() % 3 : 0);
        tokens[e][j] = static_cast<int64_t>(rng() % 1000);
      }
    }
    absl::StatusOr<DispatchPlan> plan = PlanDispatch(replicas, tokens);
    ASSERT_TRUE(plan.ok()) << plan.status();
    for (int e = 0; e < experts; ++e) {
      const int64_t t = std::accumulate(tokens[e].begin(), tokens[e].end(), int64_t{0});
      const int r = std::accumulate(replicas[e].begin(), replicas[e].end(), 0);
      int64_t received_total = 0;
      for (int i = 0; i < ranks; ++i) {
        // Every token of rank i is sent exactly once.
        EXPECT_EQ(std::accumulate(plan->send[e][i].begin(), plan->send[e][i].end(), int64_t{0}),
                  tokens[e][i]);
        int64_t received = 0;
        for (int j = 0; j < ranks; ++j) received += plan->send[e][j][i];
        EXPECT_EQ(received, plan->capacity[e][i]);
        received_total += received;
        // Balance: rank i's load is within one token per replica of t·R/r.
        const double exact = static_cast<double>(t) * replicas[e][i] / r;
        EXPECT_LT(std::fabs(static_cast<double>(received) - exact), 1.0 + 1e-9);
        if (replicas[e][i] == 0) EXPECT_EQ(received, 0);
        // Only overflow moves: a rank keeps min(T, cap) of its own tokens.
        EXPECT_EQ(plan->send[e][i][i], std::min(tokens[e][i], plan->capacity[e][i]));
      }
      EXPECT_EQ(received_total, t);
    }
    // All-to-all splits are consistent: what i sends to j is what j receives
    // from i, and each rank's own view (PlanRankDispatch) agrees with the plan.
    const DispatchCapacities caps = *ComputeCapacities(replicas, tokens);
    for (int i = 0; i < ranks; ++i) {
      const RankDispatch mine = PlanRankDispatch(caps, tokens, i);
      EXPECT_EQ(mine.SendSplits(ranks, i), plan->SendCounts(i));
      EXPECT_EQ(mine.ReceiveSplits(ranks, i), plan->ReceiveCounts(i));
      for (int j = 0; j < ranks; ++j) {
        const RankDispatch theirs = PlanRankDispatch(caps, tokens, j);
        EXPECT_EQ(mine.SendSplits(ranks, i)[j], theirs.ReceiveSplits(ranks, j)[i]);
      }
    }
  }
  EXPECT_FALSE(PlanDispatch({{0, 0}}, {{5, 0}}).ok());  // tokens but no replica
  EXPECT_FALSE(PlanDispatch({{1, 0}}, {{5}}).ok());     // ragged
}

TEST(ReconfigureTest, SurvivorsKeepTheirExpertsAndOnlyMissingOnesMove) {
  // 4 nodes, 2 slots; node 2 fails; the new plan on 3 nodes.
  const std::vector<int> old_r = AllocateReplicas({4, 3, 2, 1}, 4, 2, 2)->replicas;
  const Placement old_p = *PlaceMro(old_r, 4, 2);
  const std::vector<int> new_r = AllocateReplicas({4, 3, 2, 1}, 3, 2, 1)->replicas;
  const Placement new_p = *PlaceMro(new_r, 3, 2);
  absl::StatusOr<Reconfiguration> plan =
      PlanReconfiguration({old_p}, {10, 11, 12, 13}, {new_p}, {10, 11, 13}, 4);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<int> mapped = plan->plan_to_physical;
  std::sort(mapped.begin(), mapped.end());
  EXPECT_THAT(mapped, ElementsAre(10, 11, 13));
  for (const ExpertTransfer& t : plan->transfers) {
    EXPECT_NE(t.from_node, 12);  // never from the dead node
    EXPECT_NE(t.from_node, t.to_node);
  }
  EXPECT_FALSE(plan->needs_checkpoint);
  // Every plan node ends up with its experts: held before or transferred.
  // Losing every holder of an expert forces the checkpoint.
  Placement lonely;
  lonely.slots = 1;
  lonely.nodes = {{0}, {1}};
  Placement next;
  next.slots = 2;
  next.nodes = {{0, 1}};
  absl::StatusOr<Reconfiguration> fatal = PlanReconfiguration({lonely}, {1, 2}, {next}, {1}, 2);
  ASSERT_TRUE(fatal.ok());
  EXPECT_TRUE(fatal->needs_checkpoint);
  ASSERT_EQ(fatal->transfers.size(), 1u);
  EXPECT_EQ(fatal->transfers[0].from_node, kFromCheckpoint);
}

}  // namespace
}  // namespace warden::lazarus
