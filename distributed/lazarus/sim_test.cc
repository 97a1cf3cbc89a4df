// Failure traces and the policy simulator.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <numeric>

#include "distributed/lazarus/sim_study.h"
#include "distributed/lazarus/simulator.h"
#include "distributed/lazarus/trace.h"

namespace warden::lazarus {
namespace {

using ::testing::HasSubstr;

int Alive(const FailureTrace& trace) {
  int alive = trace.initial_nodes;
  for (const TraceEvent& e : trace.events) alive += e.joins - e.failures;
  return alive;
}

TEST(TraceTest, ControlledStopsAtHalf) {
  FailureTrace t = ControlledTrace(10, 300, 3600);
  EXPECT_EQ(t.events.size(), 5u);
  EXPECT_EQ(t.events[0].time_s, 300);
  EXPECT_EQ(Alive(t), 5);
  EXPECT_EQ(ControlledTrace(10, 300, 1000).events.size(), 3u);  // horizon cuts it
  FailureTrace b = BurstTrace(10, 4, 600, 10000);
  EXPECT_EQ(Alive(b), 1);
}

TEST(TraceTest, SpotTraceIsSeededSortedAndBounded) {
  SpotModel model;
  model.preempt_per_hour = 0.5;
  model.grant_per_hour = 0.8;
  FailureTrace a = SpotTrace(10, model, 4 * 3600, 3), b = SpotTrace(10, model, 4 * 3600, 3);
  ASSERT_EQ(a.events.size(), b.events.size());
  EXPECT_FALSE(a.events.empty());
  int alive = 10;
  double last = 0;
  for (const TraceEvent& e : a.events) {
    EXPECT_GE(e.time_s, last);
    last = e.time_s;
    alive += e.joins - e.failures;
    EXPECT_GE(alive, 1);
    EXPECT_LE(alive, 10);
    if (e.joins > 0) EXPECT_EQ(std::fmod(e.time_s, model.batch_s), 0.0);  // batched
  }
}

TEST(TraceTest, SpotNodesStartingUpAreNotRequestedAgain) {
  // Start-up longer than an hour: granted nodes stay pending across hours.
  SpotModel model;
  model.preempt_per_hour = 0.9;
  model.grant_per_hour = 1.0;
  model.startup_s = 5400;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const FailureTrace trace = SpotTrace(10, model, 10 * 3600, seed);
    int alive = 10, failures = 0, joins = 0;
    for (const TraceEvent& e : trace.events) {
      alive += e.joins - e.failures;
      failures += e.failures;
      joins += e.joins;
      ASSERT_GE(alive, 1) << "seed " << seed << " at " << e.time_s;
      ASSERT_LE(alive, 10) << "seed " << seed << " at " << e.time_s;
      ASSERT_LE(joins, failures) << "a node was replaced twice (seed " << seed << ")";
    }
    EXPECT_GT(joins, 0);
  }
}

TEST(TraceTest, CsvReplayCapsAndRejectsGarbage) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/trace.csv";
  std::ofstream(path) << "time_s,failures,joins\n60,2,0\n200,0,5\n400,1,0\n";
  absl::StatusOr<FailureTrace> t = LoadCsvTrace(path, 10, 10, 120);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->events.size(), 3u);
  EXPECT_EQ(t->events[1].joins, 2);     // capped at 10 nodes
  EXPECT_EQ(t->events[1].time_s, 240);  // batched to the 2-minute boundary
  std::ofstream(path) << "time_s,failures,joins\n60,2\n";
  absl::StatusOr<FailureTrace> bad = LoadCsvTrace(path, 10, 10, 120);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("line 2"));
  EXPECT_EQ(LoadCsvTrace("/nonexistent.csv", 10, 10, 120).status().code(), absl::StatusCode::kNotFound);
}

TEST(SimulatorTest, NoFailuresThroughputFollowsTheStepModel) {
  const SimModel model = GptLarge();
  FailureTrace none{"none", 10, {}};
  SimRun lazarus = *Simulate(model, none, Policy::kLazarus, 1800, 0);
  SimRun ds = *Simulate(model, none, Policy::kDeepSpeed, 1800, 0);
  EXPECT_EQ(lazarus.checkpoint_restarts + ds.checkpoint_restarts, 0);
  // DS uses 8 of 10 GPUs (EP 4) and pads to the hottest expert: Lazarus is
  // faster by more than 10/8.
  EXPECT_GT(lazarus.samples / ds.samples, 1.25);
  // Time is fully accounted for.
  for (const SimRun& r : {lazarus, ds}) {
    const TimeBreakdown& t = r.time;
    const double total = t.compute_s + t.redone_s + t.checkpoint_s + t.reconfigure_s + t.rebalance_s +
                         t.restart_s + t.lost_s + t.idle_s;
    EXPECT_NEAR(total, 1800, 2.0);
    EXPECT_EQ(t.redone_s, 0);  // no restart, nothing redone
    EXPECT_EQ(r.curve_t.size(), r.curve_samples.size());
    EXPECT_TRUE(std::is_sorted(r.curve_samples.begin(), r.curve_samples.end()));
  }
}

TEST(SimulatorTest, ARestartIsItsNamedPartsAndRedoesTheLostSteps) {
  SimModel model = GptLarge();
  EXPECT_DOUBLE_EQ(model.checkpoint_s(), model.state_gb * 8 / model.storage_gbps);
  EXPECT_DOUBLE_EQ(model.restart_s(),
                   model.detect_s + model.rendezvous_s + model.startup_s + model.checkpoint_s());
  const FailureTrace trace = ControlledTrace(10, 300, 1800);
  SimRun ds = *Simulate(model, trace, Policy::kDeepSpeed, 1800, 3);
  ASSERT_GT(ds.checkpoint_restarts, 0);
  EXPECT_NEAR(ds.time.restart_s, ds.checkpoint_restarts * model.restart_s(), 1e-6);
  EXPECT_GT(ds.time.redone_s, 0);  // steps since the last checkpoint, done twice
  const TimeBreakdown& t = ds.time;
  EXPECT_NEAR(t.compute_s + t.redone_s + t.checkpoint_s + t.reconfigure_s + t.rebalance_s + t.restart_s +
                  t.lost_s + t.idle_s,
              1800, 2.0);
  // A slower start-up costs DS exactly that much more per restart.
  model.startup_s += 100;
  SimRun slower = *Simulate(model, trace, Policy::kDeepSpeed, 1800, 3);
  EXPECT_LT(slower.samples, ds.samples);
}

TEST(SimulatorTest, RebalancingFollowsDriftingLoads) {
  SimModel model = GptLarge();
  model.load_drift = 1.0;  // routing that moves a lot: re-planning must pay for itself
  FailureTrace none{"none", 10, {}};
  SimRun rebalanced = *Simulate(model, none, Policy::kLazarus, 3600, 2);
  EXPECT_GT(rebalanced.time.rebalance_s, 0);
  model.rebalance_every = 0;
  SimRun fixed = *Simulate(model, none, Policy::kLazarus, 3600, 2);
  EXPECT_EQ(fixed.time.rebalance_s, 0);
  EXPECT_GT(rebalanced.samples, fixed.samples);  // re-planning for the current loads pays for itself
  model.load_drift = 0;                          // no drift: the initial plan stays right
  SimRun still = *Simulate(model, none, Policy::kLazarus, 3600, 2);
  EXPECT_GT(still.samples, fixed.samples);
}

TEST(SimulatorTest, LazarusRecoversSingleFailuresWithoutCheckpoints) {
  const SimModel model = GptSmall();
  const FailureTrace trace = ControlledTrace(10, 300, 1800);
  for (uint64_t seed = 0; seed < 5; ++seed) {
    SimRun run = *Simulate(model, trace, Policy::kLazarus, 1800, seed);
    EXPECT_EQ(run.failures_recovered, 5);
    EXPECT_EQ(run.checkpoint_restarts, 0);
    EXPECT_GT(run.experts_moved, 0);
    SimRun ds = *Simulate(model, trace, Policy::kDeepSpeed, 1800, seed);
    EXPECT_GT(ds.checkpoint_restarts, 0);
    EXPECT_GT(run.samples, ds.samples);
    // Deterministic per seed.
    EXPECT_EQ(Simulate(model, trace, Policy::kLazarus, 1800, seed)->samples, run.samples);
  }
}

TEST(SimulatorTest, LosingEveryReplicaFallsBackToTheCheckpoint) {
  const SimModel model = GptLarge();
  FailureTrace burst{"burst", 10, {{300, 8, 0}}};  // 8 of 10 GPUs at once
  SimRun run = *Simulate(model, burst, Policy::kLazarus, 1800, 1);
  EXPECT_EQ(run.checkpoint_restarts, 1);
  EXPECT_GT(run.time.restart_s, 0);
  // Two GPUs (12 slots) cannot hold 16 experts: the job waits, idle.
  EXPECT_GT(run.time.idle_s, 1000);
  // With nodes joining again it resumes.
  burst.events.push_back({900, 0, 6});
  SimRun resumed = *Simulate(model, burst, Policy::kLazarus, 1800, 1);
  EXPECT_GT(resumed.samples, run.samples);
}

TEST(StudyTest, TableAndPlot) {
  absl::StatusOr<StudyResult> study = RunStudy(
      GptSmall(), [](uint64_t) { return ControlledTrace(10, 300, 1800); }, 1800, 3);
  ASSERT_TRUE(study.ok()) << study.status();
  ASSERT_EQ(study->policies.size(), 3u);
  EXPECT_GT(study->policies[0].mean_samples, study->policies[1].mean_samples);
  EXPECT_GE(study->policies[1].ci95, 0.0);
  EXPECT_THAT(StudyTable(*study), HasSubstr("DS(FT)"));
  EXPECT_THAT(StudyPlot(*study, "t"), HasSubstr("<polyline"));
  EXPECT_FALSE(RunStudy(
                   GptSmall(), [](uint64_t) { return ControlledTrace(10, 300, 1800); }, 1800, 0)
                   .ok());
}

}  // namespace
}  // namespace warden::lazarus
