// The recovery state machine without processes: two-phase commit, a failure
// during a recovery, two failures at once, a join during a failure, a hung
// worker, catching up a step, stale state, and the checkpoint fallback. Every
// plan is checked for being carried out from what the survivors really hold:
// each transfer's source holds the expert, and every member ends up with its
// plan's experts.
#include "distributed/lazarus/runtime/recovery_machine.h"

#include <gtest/gtest.h>

#include <set>

#include "components/status/status_matchers.h"
#include "distributed/lazarus/recovery.h"

namespace warden::lazarus {
namespace {

namespace p = protocol;
using Phase = RecoveryMachine::Phase;

RecoveryMachineOptions Options(int experts, int slots) {
  RecoveryMachineOptions o;
  o.model.layers = 2;
  o.model.experts = experts;
  o.model.top_k = 1;
  o.slots = slots;
  o.fault_tolerance = 1;
  return o;
}

p::Holding HoldingOf(const p::Generation& g, int id, int64_t applied, int64_t reduced_step) {
  return {true, applied, reduced_step, g.ExpertsOf(g.RankOf(id))};
}

// An acknowledgement of `g` by a worker that held `before`'s experts: it
// keeps them until the commit.
p::Holding Configured(const p::Generation& g, const p::Generation& before, int id, int64_t applied) {
  p::Holding h = HoldingOf(g, id, applied, applied);
  if (before.RankOf(id) >= 0) {
    for (const ExpertKey& k : before.ExpertsOf(before.RankOf(id))) {
      if (std::find(h.experts.begin(), h.experts.end(), k) == h.experts.end()) h.experts.push_back(k);
    }
  }
  return h;
}

// 6 workers x 2 slots, 4 experts: 3 replicas each, on 3 distinct workers
// (MRO: experts {0, 1} on workers 0-2, {2, 3} on 3-5), so any two losses
// leave a replica of every expert.
RecoveryMachineOptions SixWorkers() { return Options(4, 2); }

void AckAll(RecoveryMachine& m) {
  const p::Generation g = m.current();
  for (int id : g.members) ASSERT_OK(m.Acknowledge(g.gen, id, HoldingOf(g, id, 0, 0)).status());
  ASSERT_EQ(m.phase(), Phase::kCommitted);
}

// The generation can be carried out from `usable` (member id -> experts held
// at the generation's state step): every transfer comes from a holder, and
// every rank then holds its plan's experts.
void ExpectCarriedOut(const p::Generation& g, const std::map<int, std::vector<ExpertKey>>& usable) {
  ASSERT_FALSE(g.from_checkpoint);
  std::vector<std::set<ExpertKey>> held(g.members.size());
  for (size_t r = 0; r < g.members.size(); ++r) {
    auto it = usable.find(g.members[r]);
    if (it != usable.end()) held[r].insert(it->second.begin(), it->second.end());
  }
  std::vector<std::set<ExpertKey>> after = held;
  for (const p::Transfer& t : g.transfers) {
    const ExpertKey k{t.layer, t.expert};
    EXPECT_TRUE(held[t.from_rank].count(k)) << "rank " << t.from_rank << " (worker " << g.members[t.from_rank]
                                            << ") sends " << ExpertName(k) << " it does not hold";
    after[t.to_rank].insert(k);
  }
  for (size_t r = 0; r < g.members.size(); ++r) {
    for (const ExpertKey& k : g.ExpertsOf(static_cast<int>(r))) {
      EXPECT_TRUE(after[r].count(k)) << "rank " << r << " never gets " << ExpertName(k);
    }
  }
}

TEST(RecoveryMachineTest, CommitsOnlyWhenEveryMemberAcknowledged) {
  RecoveryMachine m(Options(4, 3));
  ASSERT_OK_AND_ASSIGN(const p::Generation g, m.Start({0, 1, 2, 3}));
  EXPECT_EQ(g.gen, 0);
  EXPECT_EQ(m.phase(), Phase::kPreparing);
  for (int id : {0, 1, 2}) {
    ASSERT_OK_AND_ASSIGN(const bool committed, m.Acknowledge(0, id, HoldingOf(g, id, -1, -1)));
    EXPECT_FALSE(committed);
  }
  ASSERT_OK_AND_ASSIGN(const bool stale, m.Acknowledge(7, 3, HoldingOf(g, 3, -1, -1)));
  EXPECT_FALSE(stale);
  EXPECT_EQ(m.phase(), Phase::kPreparing);
  ASSERT_OK_AND_ASSIGN(const bool committed, m.Acknowledge(0, 3, HoldingOf(g, 3, -1, -1)));
  EXPECT_TRUE(committed);
  EXPECT_EQ(m.phase(), Phase::kCommitted);
  EXPECT_FALSE(m.Start({0}).ok());
}

TEST(RecoveryMachineTest, RejectsAnAcknowledgementThatLacksThePlan) {
  RecoveryMachine m(Options(4, 3));
  ASSERT_OK_AND_ASSIGN(const p::Generation g, m.Start({0, 1, 2, 3}));
  p::Holding h = HoldingOf(g, 1, -1, -1);
  h.experts.pop_back();
  EXPECT_EQ(m.Acknowledge(0, 1, h).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(m.Acknowledge(0, 9, HoldingOf(g, 1, -1, -1)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RecoveryMachineTest, TwoFailuresAtOnce) {
  RecoveryMachine m(Options(4, 3));  // 4 ranks x 3 slots: every expert has 3 replicas
  ASSERT_OK(m.Start({0, 1, 2, 3}).status());
  AckAll(m);
  const p::Generation g0 = m.current();
  std::map<int, p::Holding> survivors = {{2, HoldingOf(g0, 2, 11, 11)}, {3, HoldingOf(g0, 3, 11, 11)}};
  ASSERT_OK_AND_ASSIGN(const RecoveryMachine::Recovery r, m.Fail(survivors, {}));
  EXPECT_EQ(r.lost, 2);
  EXPECT_EQ(r.generation.gen, 1);
  EXPECT_EQ(std::set<int>(r.generation.members.begin(), r.generation.members.end()), (std::set<int>{2, 3}));
  EXPECT_EQ(r.generation.state_step, 11);
  EXPECT_EQ(r.generation.resume_step, 12);  // the interrupted step is retried
  EXPECT_EQ(r.generation.catch_up_source, -1);
  EXPECT_EQ(r.dropped_step, -1);
  EXPECT_EQ(m.phase(), Phase::kPreparing);
  ExpectCarriedOut(r.generation, {{2, survivors[2].experts}, {3, survivors[3].experts}});
}

TEST(RecoveryMachineTest, AFailureDuringRecoveryReplansFromWhatSurvivorsHold) {
  RecoveryMachine m(SixWorkers());
  ASSERT_OK(m.Start({0, 1, 2, 3, 4, 5}).status());
  AckAll(m);
  const p::Generation g0 = m.current();
  // Worker 5 dies at step 20: generation 1 over the other five is proposed.
  std::map<int, p::Holding> first_survivors;
  for (int id : {0, 1, 2, 3, 4}) first_survivors[id] = HoldingOf(g0, id, 19, 19);
  ASSERT_OK_AND_ASSIGN(const RecoveryMachine::Recovery first, m.Fail(first_survivors, {}));
  const p::Generation g1 = first.generation;
  ASSERT_FALSE(g1.transfers.empty());
  // A worker that generation 1 sends an expert to never receives it: its
  // sender dies mid-recovery. It reports what it really holds (generation
  // 0's experts); the others had configured and acknowledged (generation
  // 1's experts, and generation 0's until the commit).
  const int receiver = g1.members[g1.transfers.front().to_rank];
  const int sender = g1.members[g1.transfers.front().from_rank];
  ASSERT_NE(receiver, sender);
  std::map<int, p::Holding> survivors;
  for (int id : g1.members) {
    if (id == sender) continue;
    if (id == receiver) {
      survivors[id] = HoldingOf(g0, id, 19, 19);
      continue;
    }
    survivors[id] = Configured(g1, g0, id, 19);
    ASSERT_OK_AND_ASSIGN(const bool committed, m.Acknowledge(1, id, survivors[id]));
    EXPECT_FALSE(committed);
  }
  ASSERT_OK_AND_ASSIGN(const RecoveryMachine::Recovery second, m.Fail(survivors, {}));
  EXPECT_EQ(second.lost, 1);
  EXPECT_EQ(second.generation.gen, 2);
  EXPECT_EQ(second.generation.resume_step, 20);
  std::map<int, std::vector<ExpertKey>> usable;
  for (const auto& [id, h] : survivors) usable[id] = h.experts;
  ExpectCarriedOut(second.generation, usable);
  // Planning from generation 1's plan instead would have had the receiver
  // send an expert it never got: the test above must be able to fail.
  bool receiver_lacks_a_planned_expert = false;
  for (const ExpertKey& k : g1.ExpertsOf(g1.RankOf(receiver))) {
    const auto& have = usable[receiver];
    receiver_lacks_a_planned_expert |= std::find(have.begin(), have.end(), k) == have.end();
  }
  EXPECT_TRUE(receiver_lacks_a_planned_expert);
}

TEST(RecoveryMachineTest, FallsBackToTheCheckpointWhenAnExpertLostEveryReplica) {
  for (const bool checkpoint : {true, false}) {
    RecoveryMachineOptions o = Options(4, 2);  // 2 replicas per expert
    o.checkpoint_available = checkpoint;
    RecoveryMachine m(o);
    ASSERT_OK(m.Start({0, 1, 2, 3}).status());
    AckAll(m);
    const p::Generation g0 = m.current();
    // Keep the two workers that do not hold expert (0, 0).
    std::map<int, p::Holding> survivors;
    for (int id : g0.members) {
      const p::Holding h = HoldingOf(g0, id, 9, 9);
      if (std::find(h.experts.begin(), h.experts.end(), ExpertKey{0, 0}) == h.experts.end())
        survivors[id] = h;
    }
    ASSERT_EQ(survivors.size(), 2u);
    absl::StatusOr<RecoveryMachine::Recovery> r = m.Fail(survivors, {});
    if (checkpoint) {
      ASSERT_OK(r.status());
      EXPECT_TRUE(r->generation.from_checkpoint);
      EXPECT_TRUE(r->generation.transfers.empty());
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(RecoveryMachineTest, SurvivorsBehindCatchUpFromOneThatFinishedTheStep) {
  for (const bool retry : {true, false}) {
    RecoveryMachineOptions o = SixWorkers();
    o.retry_failed_step = retry;
    RecoveryMachine m(o);
    ASSERT_OK(m.Start({0, 1, 2, 3, 4, 5}).status());
    AckAll(m);
    const p::Generation g0 = m.current();
    // Worker 5 died inside step 7's all-reduce: 0 and 2 finished it, 1 did not.
    const std::map<int, p::Holding> survivors = {{0, HoldingOf(g0, 0, 7, 7)},
                                                 {1, HoldingOf(g0, 1, 6, 6)},
                                                 {2, HoldingOf(g0, 2, 7, 7)},
                                                 {3, HoldingOf(g0, 3, 7, 7)},
                                                 {4, HoldingOf(g0, 4, 7, 7)}};
    ASSERT_OK_AND_ASSIGN(const RecoveryMachine::Recovery r, m.Fail(survivors, {}));
    const p::Generation& g = r.generation;
    EXPECT_EQ(g.state_step, 7);
    ASSERT_GE(g.catch_up_source, 0);
    EXPECT_NE(g.members[g.catch_up_source], 1);
    EXPECT_NE(g.members[g.dense_source], 1);
    EXPECT_EQ(g.resume_step, retry ? 8 : 9);
    EXPECT_EQ(r.dropped_step, retry ? -1 : 8);
    // Worker 1's experts count: once caught up they are at step 7.
    std::map<int, std::vector<ExpertKey>> usable;
    for (const auto& [id, h] : survivors) usable[id] = h.experts;
    ExpectCarriedOut(g, usable);
  }
}

TEST(RecoveryMachineTest, StaleStateHoldsNothing) {
  RecoveryMachine m(SixWorkers());
  ASSERT_OK(m.Start({0, 1, 2, 3, 4, 5}).status());
  AckAll(m);
  const p::Generation g0 = m.current();
  // Worker 1 is behind with nobody to catch it up (no survivor kept step 7's
  // gradients, e.g. after a checkpoint reload); its experts must not be used.
  std::map<int, p::Holding> survivors;
  for (int id : {0, 2, 3, 4}) survivors[id] = HoldingOf(g0, id, 7, -1);
  survivors[1] = HoldingOf(g0, 1, 6, 6);
  ASSERT_OK_AND_ASSIGN(const RecoveryMachine::Recovery r, m.Fail(survivors, {}));
  EXPECT_EQ(r.generation.catch_up_source, -1);
  EXPECT_EQ(r.generation.state_step, 7);
  std::map<int, std::vector<ExpertKey>> usable;
  for (int id : {0, 2, 3, 4}) usable[id] = survivors[id].experts;
  ExpectCarriedOut(r.generation, usable);
}

TEST(RecoveryMachineTest, AJoinDuringAFailure) {
  RecoveryMachine m(SixWorkers());
  ASSERT_OK(m.Start({0, 1, 2, 3, 4}).status());
  EXPECT_EQ(m.Change({0, 1, 2, 3, 4, 5}, {5}, {}).status().code(), absl::StatusCode::kFailedPrecondition);
  AckAll(m);
  const p::Generation g0 = m.current();
  ASSERT_OK_AND_ASSIGN(const p::Generation g1, m.Change({0, 1, 2, 3, 4, 5}, {5}, {}));
  EXPECT_NE(g1.members[g1.dense_source], 5);
  // Worker 1 dies while the joiner (5) is configuring: the others had
  // acknowledged; the joiner reports holding nothing and no state.
  std::map<int, p::Holding> survivors = {{5, p::Holding{}}};
  for (int id : {0, 2, 3, 4}) {
    survivors[id] = Configured(g1, g0, id, 9);
    ASSERT_OK(m.Acknowledge(1, id, survivors[id]).status());
  }
  ASSERT_OK_AND_ASSIGN(const RecoveryMachine::Recovery r, m.Fail(survivors, {}));
  const p::Generation& g = r.generation;
  EXPECT_EQ(r.lost, 1);
  ASSERT_GE(g.RankOf(5), 0);  // the joiner stays
  EXPECT_NE(g.members[g.dense_source], 5);
  EXPECT_EQ(g.state_step, 9);
  std::map<int, std::vector<ExpertKey>> usable;
  for (int id : {0, 2, 3, 4}) usable[id] = survivors[id].experts;
  ExpectCarriedOut(g, usable);
}

TEST(RecoveryMachineTest, NoSurvivorWithStateNeedsTheCheckpoint) {
  RecoveryMachine m(Options(2, 3));  // one worker can hold every expert
  ASSERT_OK(m.Start({0, 1, 2}).status());
  AckAll(m);
  ASSERT_OK(m.Change({0, 1, 2, 3}, {3}, {}).status());
  EXPECT_EQ(m.Fail({{3, p::Holding{}}}, {}).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecoveryMachineTest, Errors) {
  RecoveryMachine m(Options(4, 3));
  EXPECT_EQ(m.Fail({}, {}).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_OK(m.Start({0, 1, 2, 3}).status());
  EXPECT_EQ(m.Fail({}, {}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(m.Fail({{8, p::Holding{}}}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(m.Start({}).ok());
}

TEST(RecoveryMachineTest, ReplicasGoToDistinctNodesAndANodeLeavesWhole) {
  RecoveryMachineOptions o = Options(4, 2);
  o.ranks_per_node = 2;  // workers 2k and 2k + 1 share node k
  RecoveryMachine m(o);
  ASSERT_OK_AND_ASSIGN(const p::Generation g0, m.Start({0, 1, 2, 3, 4, 5}));
  // 3 nodes x 4 slots: every expert has 3 replicas, one on each node.
  for (size_t l = 0; l < g0.plan.size(); ++l) {
    for (size_t e = 0; e < g0.plan[l].size(); ++e) {
      std::set<int> nodes;
      int replicas = 0;
      for (size_t r = 0; r < g0.members.size(); ++r) {
        replicas += g0.plan[l][e][r];
        if (g0.plan[l][e][r] > 0) nodes.insert(g0.members[r] / 2);
      }
      EXPECT_EQ(replicas, 3);
      EXPECT_EQ(nodes.size(), 3u) << "layer " << l << " expert " << e;
    }
  }
  // So the plan survives any 2 of its 3 nodes failing.
  ASSERT_EQ(m.node_plan().size(), 2u);
  ASSERT_OK_AND_ASSIGN(const RecoveryEstimate p2, RecoveryProbability(m.node_plan(), 4, 2));
  EXPECT_EQ(p2.probability, 1.0);
  AckAll(m);
  // Node 1 (workers 2 and 3) dies: the other two nodes hold every expert.
  std::map<int, p::Holding> survivors;
  for (int id : {0, 1, 4, 5}) survivors[id] = HoldingOf(g0, id, 12, 12);
  ASSERT_OK_AND_ASSIGN(const RecoveryMachine::Recovery r, m.Fail(survivors, {}));
  EXPECT_EQ(r.lost, 2);
  EXPECT_EQ(r.generation.members.size(), 4u);
  std::map<int, std::vector<ExpertKey>> usable;
  for (const auto& [id, h] : survivors) usable[id] = h.experts;
  ExpectCarriedOut(r.generation, usable);
  // Half a node cannot be planned for: the controller stops its other worker.
  ASSERT_OK_AND_ASSIGN(const bool committed, m.Acknowledge(1, 0, HoldingOf(r.generation, 0, 12, 12)));
  EXPECT_FALSE(committed);
  EXPECT_EQ(m.Fail({{0, HoldingOf(r.generation, 0, 12, 12)},
                    {4, HoldingOf(r.generation, 4, 12, 12)},
                    {5, HoldingOf(r.generation, 5, 12, 12)}},
                   {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClassifyTest, AHungWorkerIsFoundByItsHeartbeat) {
  Observation hung;
  hung.heartbeat_age_s = 6;
  EXPECT_EQ(Classify(hung, true, 5), Standing::kHung);
  EXPECT_EQ(Classify(hung, true, 10), Standing::kPending);
  Observation gone = hung;
  gone.exited = true;
  gone.reported = true;  // reported a peer's failure, then died itself
  EXPECT_EQ(Classify(gone, true, 5), Standing::kGone);
  Observation reported;
  reported.reported = true;
  EXPECT_EQ(Classify(reported, true, 5), Standing::kSurvivor);
  Observation acked;
  acked.acknowledged = true;
  EXPECT_EQ(Classify(acked, false, 5), Standing::kSurvivor);  // its ack says what it holds
  EXPECT_EQ(Classify(acked, true, 5), Standing::kPending);    // training: it must report
  Observation done;
  done.done = true;
  done.heartbeat_age_s = 100;
  EXPECT_EQ(Classify(done, true, 5), Standing::kPending);
}

}  // namespace
}  // namespace warden::lazarus
