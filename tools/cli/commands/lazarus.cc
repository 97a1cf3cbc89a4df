#include "tools/cli/commands/lazarus.h"

#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/runfiles.h"
#include "distributed/lazarus/allocation.h"
#include "distributed/lazarus/placement.h"
#include "distributed/lazarus/recovery.h"
#include "distributed/lazarus/sim_study.h"
#include "distributed/lazarus/trace.h"
#include "tools/cli/commands/lazarus_train_flags.h"
#include "tools/cli/flags.h"
#include "tools/cli/output.h"

namespace warden::lazarus {
namespace {

struct PlanConfig {
  int64_t nodes = 10;
  int64_t slots = 6;
  int64_t f = 2;
  std::string loads = "50,20,10,5,5,4,3,3";
  std::string replicas;
  int64_t failures = -1;  // print P for 1..failures (default N - 1)
  int64_t target = -1;    // failures "ours" optimises for (default ceil(N / 2))
  double budget = 1.0;
  bool json = false;
};

struct PolicyResult {
  std::string name;
  Placement placement;
  std::vector<RecoveryEstimate> p;  // index = failed nodes
};

absl::Status RunPlan(const PlanConfig& config, std::ostream& out) {
  if (config.nodes < 1 || config.nodes > 100000 || config.slots < 1 || config.slots > 1024) {
    return absl::InvalidArgumentError("need 1 <= --nodes <= 100000 and 1 <= --slots <= 1024");
  }
  const int nodes = static_cast<int>(config.nodes), slots = static_cast<int>(config.slots);
  std::vector<int> replicas;
  int enforced_f = 0;
  if (!config.replicas.empty()) {
    absl::StatusOr<std::vector<int64_t>> parsed = cli::ParseIntList("replicas", config.replicas);
    if (!parsed.ok()) return parsed.status();
    for (int64_t r : *parsed) {
      if (r < 0 || r > std::numeric_limits<int>::max())
        return absl::InvalidArgumentError(absl::StrCat("--replicas: ", r, " is out of range"));
      replicas.push_back(static_cast<int>(r));
    }
    if (absl::Status s = ValidateReplicas(replicas, nodes, slots); !s.ok()) return s;
  } else {
    absl::StatusOr<std::vector<double>> loads = cli::ParseNumberList("loads", config.loads);
    if (!loads.ok()) return loads.status();
    absl::StatusOr<ReplicaAllocation> allocation =
        AllocateReplicas(*loads, nodes, slots, static_cast<int>(config.f));
    if (!allocation.ok()) return allocation.status();
    replicas = allocation->replicas;
    enforced_f = allocation->fault_tolerance;
  }
  const int experts = static_cast<int>(replicas.size());
  const int max_failures =
      static_cast<int>(config.failures < 0 ? nodes - 1 : std::min<int64_t>(config.failures, nodes));
  const int target = static_cast<int>(config.target < 0 ? (nodes + 1) / 2 : config.target);

  std::vector<PolicyResult> results;
  for (const auto& [name, place] : std::vector<std::pair<std::string, decltype(&PlaceMro)>>{
           {"mro", &PlaceMro}, {"spread", &PlaceSpread}, {"compact", &PlaceCompact}}) {
    absl::StatusOr<Placement> p = place(replicas, nodes, slots);
    if (!p.ok()) return p.status();
    results.push_back({name, *p, {}});
  }
  SearchOptions search;
  search.target_failures = target;
  search.time_budget_seconds = config.budget;
  absl::StatusOr<SearchResult> ours = PlaceOptimized(replicas, nodes, slots, search);
  if (!ours.ok()) return ours.status();
  results.push_back({"ours", ours->placement, {}});
  for (PolicyResult& r : results) {
    for (int k = 0; k <= max_failures; ++k) {
      absl::StatusOr<RecoveryEstimate> p = RecoveryProbability({r.placement}, experts, k);
      if (!p.ok()) return p.status();
      r.p.push_back(*p);
    }
  }

  if (config.json) {
    nlohmann::json doc = {
        {"nodes", nodes}, {"slots", slots}, {"replicas", replicas}, {"target_failures", target}};
    if (config.replicas.empty()) doc["fault_tolerance"] = enforced_f;
    for (const PolicyResult& r : results) {
      nlohmann::json p = nlohmann::json::array();
      for (const RecoveryEstimate& e : r.p) p.push_back(e.probability);
      doc[r.name] = {{"placement", r.placement.nodes}, {"p_recovery", p}};
    }
    doc["ours"]["exact_search"] = ours->exact;
    doc["ours"]["evaluated"] = ours->evaluated;
    doc["ours"]["seconds"] = ours->seconds;
    out << doc.dump() << "\n";
    return absl::OkStatus();
  }
  out << absl::StrFormat("%d nodes x %d slots, %d experts; replicas r = %s", nodes, slots, experts,
                         absl::StrJoin(replicas, ","));
  if (config.replicas.empty()) out << " (f = " << enforced_f << ")";
  out << "\n";
  for (const PolicyResult& r : results) {
    out << "\n" << r.name << ":\n" << PlacementGrid(r.placement);
  }
  out << "\nP(recovery) by failed nodes";
  out << absl::StrFormat("\n  %-8s", "k");
  for (const PolicyResult& r : results) out << absl::StrFormat("%10s", r.name);
  for (int k = 1; k <= max_failures; ++k) {
    out << absl::StrFormat("\n  %-8d", k);
    for (const PolicyResult& r : results) {
      out << absl::StrFormat("%10.4f%s", r.p[k].probability, r.p[k].exact ? "" : "~");
    }
  }
  out << absl::StrFormat(
      "\n\nours: optimised for %d failures by %s (%d placements, %.2f s): P = %.4f vs MRO %.4f (%+.4f)\n",
      target, ours->exact ? "exhaustive search" : "local search from MRO", ours->evaluated, ours->seconds,
      ours->probability, ours->mro_probability, ours->probability - ours->mro_probability);
  bool any_estimate = false;
  for (const PolicyResult& r : results) {
    for (const RecoveryEstimate& e : r.p) any_estimate |= !e.exact;
  }
  if (any_estimate) out << "~ marks Monte-Carlo estimates (exact computation too large)\n";
  return absl::OkStatus();
}

class PlanCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "replica allocation, placements (MRO, spread, compact, ours) and P(recovery)";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.Int("nodes", &config_.nodes, "nodes N");
    flags.Int("slots", &config_.slots, "expert slots per node c");
    flags.Int("f", &config_.f, "fault-tolerance threshold: replicas per expert at least");
    flags.String("loads", &config_.loads, "comma-separated tokens per expert (Eq. 1 allocates)");
    flags.String("replicas", &config_.replicas, "comma-separated replica counts (skips allocation)");
    flags.Int("failures", &config_.failures, "print P(recovery) for 1..K failed nodes (default N-1)");
    flags.Int("target", &config_.target, "failed nodes our search optimises for (default ceil(N/2))");
    flags.Double("budget", &config_.budget, "seconds for our local search (large instances)");
    flags.Bool("json", &config_.json, "print one JSON object");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("plan takes no arguments");
    return RunPlan(config_, out);
  }

 private:
  PlanConfig config_;
};

struct SimulateConfig {
  std::string model = "gpt-l";
  std::string trace = "controlled";  // controlled, burst, spot, csv
  int64_t nodes = 10;
  double interval_min = 5;
  int64_t burst = 2;
  double horizon_min = 30;
  int64_t seeds = 10;
  std::string csv;
  int64_t cap = 10;
  double preempt_per_hour = 0.25;
  double grant_per_hour = 0.5;
  // Cost overrides (negative: the model's value; simulator.h names each).
  double detect_s = -1, rendezvous_s = -1, startup_s = -1, storage_gbps = -1, load_drift = -1;
  int64_t rebalance_every = -1, ds_checkpoint_every = -1, dsft_checkpoint_every = -1;
  std::string out = "lazarus_sim";
};

absl::Status RunSimulation(const SimulateConfig& config, std::ostream& out) {
  SimModel model;
  if (config.model == "gpt-l") {
    model = GptLarge();
  } else if (config.model == "gpt-s") {
    model = GptSmall();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --model \"", config.model, "\" (gpt-s or gpt-l)"));
  }
  if (config.detect_s >= 0) model.detect_s = config.detect_s;
  if (config.rendezvous_s >= 0) model.rendezvous_s = config.rendezvous_s;
  if (config.startup_s >= 0) model.startup_s = config.startup_s;
  if (config.storage_gbps > 0) model.storage_gbps = config.storage_gbps;
  if (config.load_drift >= 0) model.load_drift = config.load_drift;
  if (config.rebalance_every >= 0) model.rebalance_every = static_cast<int>(config.rebalance_every);
  if (config.ds_checkpoint_every > 0)
    model.ds_checkpoint_every = static_cast<int>(config.ds_checkpoint_every);
  if (config.dsft_checkpoint_every > 0) {
    model.dsft_checkpoint_every = static_cast<int>(config.dsft_checkpoint_every);
  }
  if (config.nodes < 1 || config.nodes > 4096 || config.seeds < 1 || config.horizon_min <= 0 ||
      config.interval_min <= 0) {
    return absl::InvalidArgumentError("need 1 <= --nodes <= 4096, --seeds >= 1, positive times");
  }
  const int nodes = static_cast<int>(config.nodes);
  const double horizon_s = config.horizon_min * 60;
  std::function<absl::StatusOr<FailureTrace>(uint64_t)> make_trace;
  if (config.trace == "controlled") {
    make_trace = [=](uint64_t) { return ControlledTrace(nodes, config.interval_min * 60, horizon_s); };
  } else if (config.trace == "burst") {
    make_trace = [=](uint64_t) {
      return BurstTrace(nodes, static_cast<int>(config.burst), config.interval_min * 60, horizon_s);
    };
  } else if (config.trace == "spot") {
    SpotModel spot;
    spot.preempt_per_hour = config.preempt_per_hour;
    spot.grant_per_hour = config.grant_per_hour;
    make_trace = [=](uint64_t seed) { return SpotTrace(nodes, spot, horizon_s, seed); };
  } else if (config.trace == "csv") {
    absl::StatusOr<FailureTrace> replay = LoadCsvTrace(config.csv, nodes, static_cast<int>(config.cap), 120);
    if (!replay.ok()) return replay.status();
    make_trace = [replay](uint64_t) { return replay; };
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --trace \"", config.trace, "\" (controlled, burst, spot or csv)"));
  }
  absl::StatusOr<StudyResult> study = RunStudy(model, make_trace, horizon_s, static_cast<int>(config.seeds));
  if (!study.ok()) return study.status();
  const std::string title =
      absl::StrFormat("%s, %s trace, %d nodes, %d seeds", model.name, config.trace, nodes, config.seeds);
  const std::string svg = StudyPlot(*study, title);
  const std::string svg_path = cli::OutputStem(config.out, {".svg"}) + ".svg";
  if (absl::Status s = tensor::WriteTextAtomically(svg_path, svg); !s.ok()) {
    return s;
  }
  out << title << ", " << config.horizon_min << " min\n"
      << StudyTable(*study) << "wrote " << svg_path << "\n";
  return absl::OkStatus();
}

class SimulateCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "simulates Lazarus vs DeepSpeed-MoE (DS, DS(FT)) under failure traces";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("model", &config_.model, "gpt-s or gpt-l (the paper's §6 setup)");
    flags.String("trace", &config_.trace, "controlled, burst, spot or csv");
    flags.Int("nodes", &config_.nodes, "GPUs (each its own failure domain)");
    flags.Double("interval_min", &config_.interval_min, "minutes between failures (controlled, burst)");
    flags.Int("burst", &config_.burst, "nodes per burst");
    flags.Double("horizon_min", &config_.horizon_min, "simulated minutes");
    flags.Int("seeds", &config_.seeds, "seeds (failed nodes, spot traces)");
    flags.String("csv", &config_.csv, "trace file for --trace=csv: time_s,failures,joins per line");
    flags.Int("cap", &config_.cap, "cluster size cap for --trace=csv");
    flags.Double("preempt", &config_.preempt_per_hour, "spot: preemption probability per node-hour");
    flags.Double("grant", &config_.grant_per_hour, "spot: grant probability per missing node-hour");
    flags.Double("detect_s", &config_.detect_s, "DS restart: failure detection seconds (-1: the model's)");
    flags.Double("rendezvous_s", &config_.rendezvous_s,
                 "DS restart: re-rendezvous seconds (-1: the model's)");
    flags.Double("startup_s", &config_.startup_s, "DS restart: process start-up seconds (-1: the model's)");
    flags.Double("storage_gbps", &config_.storage_gbps, "checkpoint store bandwidth, Gb/s (-1: the model's)");
    flags.Double("load_drift", &config_.load_drift,
                 "spread of the expert-load drift (0: fixed loads; -1: default)");
    flags.Int("rebalance_every", &config_.rebalance_every,
              "Lazarus re-plans every N steps (0: never; -1: default)");
    flags.Int("ds_checkpoint_every", &config_.ds_checkpoint_every,
              "DS checkpoint interval in steps (-1: 50)");
    flags.Int("dsft_checkpoint_every", &config_.dsft_checkpoint_every,
              "DS(FT) checkpoint interval in steps (-1: 250)");
    flags.String("out", &config_.out, "the plot of samples over time: OUT.svg (or OUT if it ends in .svg)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("simulate takes no arguments");
    return RunSimulation(config_, out);
  }

 private:
  SimulateConfig config_;
};

// argv for lazarus_controller from train flags (the worker's path included).
absl::StatusOr<std::vector<std::string>> ControllerArgv(const TrainFlags& flags) {
  const std::string controller = tensor::FindRunfile("tools/cli/commands/lazarus_controller");
  const std::string worker = tensor::FindRunfile("distributed/lazarus/lazarus_worker");
  if (controller.empty() || worker.empty()) {
    return absl::NotFoundError("lazarus_controller / lazarus_worker are not beside this binary");
  }
  absl::StatusOr<ControllerOptions> options = flags.ToOptions(worker);
  if (!options.ok()) return options.status();
  std::vector<std::string> argv = {controller, "--worker_binary=" + worker};
  for (const std::string& a : flags.ToArgs()) argv.push_back(a);
  return argv;
}

std::vector<char*> RawArgv(std::vector<std::string>& argv) {
  std::vector<char*> raw;
  for (std::string& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  return raw;
}

// `warden lazarus train`: validates the flags and becomes lazarus_controller
// (its own binary, which launches the workers), so the timeline and the JSON
// line stream straight through and its exit code is ours.
class TrainCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "trains a small MoE on loopback workers over Gloo; injects failures and joins; recovers without a "
           "checkpoint";
  }
  void DefineFlags(cli::FlagSet& flags) override { flags_.Define(flags); }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("train takes no arguments");
    absl::StatusOr<std::vector<std::string>> argv = ControllerArgv(flags_);
    if (!argv.ok()) return argv.status();
    std::vector<char*> raw = RawArgv(*argv);
    out.flush();
    execv(raw[0], raw.data());
    return absl::InternalError(absl::StrCat("cannot start ", (*argv)[0]));
  }

 private:
  TrainFlags flags_;
};

}  // namespace

void RegisterLazarusCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("lazarus", "Lazarus: resilient MoE training (planner, simulator, runtime)");
  registry.Add("lazarus", "train", [] { return std::make_unique<TrainCommand>(); });
  registry.Add("lazarus", "plan", [] { return std::make_unique<PlanCommand>(); });
  registry.Add("lazarus", "simulate", [] { return std::make_unique<SimulateCommand>(); });
}

absl::Status RunLazarusRecoveryDemo(std::ostream& out) {
  TrainFlags flags;
  flags.ranks = 4;
  flags.steps = 30;
  flags.kill_rank = 2;
  flags.kill_at_step = 15;
  flags.print_every = 10;
  flags.deadline = 120;
  absl::StatusOr<std::vector<std::string>> argv = ControllerArgv(flags);
  if (!argv.ok()) return argv.status();
  out << "4 workers over Gloo; worker 2 is SIGKILLed at step 15:\n";
  out.flush();
  std::cout.flush();
  std::vector<char*> raw = RawArgv(*argv);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    execv(raw[0], raw.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("lazarus_controller exited with status ", status));
  }
  return absl::OkStatus();
}

absl::Status RunLazarusDemo(std::ostream& out) {
  PlanConfig worked;
  worked.failures = 5;
  worked.budget = 0.5;
  out << "The spec's worked example (loads 50,20,10,5,5,4,3,3):\n";
  if (absl::Status s = RunPlan(worked, out); !s.ok()) return s;
  PlanConfig counter;
  counter.nodes = 5;
  counter.slots = 3;
  counter.replicas = "2,3,4,6";
  out << "\nThe counterexample to MRO's optimality (N=5, c=3, r=2,3,4,6):\n";
  return RunPlan(counter, out);
}

}  // namespace warden::lazarus
