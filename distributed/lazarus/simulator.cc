#include "distributed/lazarus/simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "distributed/lazarus/allocation.h"
#include "distributed/lazarus/placement.h"
#include "distributed/lazarus/reconfigure.h"

namespace warden::lazarus {
namespace {

// Per-layer expert loads: geometric from 1 to `skew`, shuffled per layer.
std::vector<std::vector<double>> LayerLoads(const SimModel& model, uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x5eed);
  std::vector<std::vector<double>> loads(model.layers);
  for (auto& layer : loads) {
    for (int e = 0; e < model.experts; ++e) {
      layer.push_back(std::pow(model.load_skew, static_cast<double>(e) / std::max(1, model.experts - 1)));
    }
    std::shuffle(layer.begin(), layer.end(), rng);
  }
  return loads;
}

// One drift step of the loads around their initial values: each expert's
// log-load deviation follows d ← 0.9 d + N(0, (1 − 0.81) σ²), an AR(1) whose
// stationary spread is σ, so routing keeps changing without the skew growing
// without bound.
void DriftLoads(const std::vector<std::vector<double>>& base, std::vector<std::vector<double>>& deviation,
                std::vector<std::vector<double>>& loads, double sigma, std::mt19937_64& rng) {
  std::normal_distribution<double> step(0.0, sigma * std::sqrt(1 - 0.81));
  for (size_t l = 0; l < loads.size(); ++l) {
    for (size_t e = 0; e < loads[l].size(); ++e) {
      deviation[l][e] = 0.9 * deviation[l][e] + step(rng);
      loads[l][e] = base[l][e] * std::exp(deviation[l][e]);
    }
  }
}

// DS's imbalance: the hottest expert over the mean, averaged over layers
// (capacity padding makes every EP rank wait for the hottest expert).
double DsImbalance(const std::vector<std::vector<double>>& loads) {
  double sum = 0;
  for (const auto& layer : loads) {
    sum += *std::max_element(layer.begin(), layer.end()) /
           (std::accumulate(layer.begin(), layer.end(), 0.0) / static_cast<double>(layer.size()));
  }
  return sum / static_cast<double>(loads.size());
}

// Lazarus's plan on `nodes` GPUs: one MRO placement per layer; empty (the job
// waits for nodes) when the GPUs cannot hold every expert once.
struct LazarusPlan {
  std::vector<Placement> layers;
  std::vector<std::vector<int>> replicas;  // per layer, per expert
  std::vector<int> physical;               // plan node -> physical node id
  double imbalance = 1.0;                  // mean over layers of max node load / mean node load
};

// The plan's imbalance under `loads` (which may have drifted since it was made):
// a replica of expert e carries load_e / r_e; a node sums its slots.
double PlanImbalance(const LazarusPlan& plan, const std::vector<std::vector<double>>& loads) {
  double imbalance = 0;
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    const int nodes = plan.layers[l].num_nodes();
    std::vector<double> node_load(nodes, 0.0);
    for (int j = 0; j < nodes; ++j) {
      for (int e : plan.layers[l].nodes[j]) node_load[j] += loads[l][e] / plan.replicas[l][e];
    }
    const double mean = std::accumulate(node_load.begin(), node_load.end(), 0.0) / nodes;
    imbalance += *std::max_element(node_load.begin(), node_load.end()) / mean;
  }
  return plan.layers.empty() ? 1.0 : imbalance / static_cast<double>(plan.layers.size());
}

LazarusPlan MakePlan(const SimModel& model, const std::vector<std::vector<double>>& loads,
                     const std::vector<int>& physical) {
  LazarusPlan plan;
  const int nodes = static_cast<int>(physical.size());
  if (static_cast<int64_t>(nodes) * model.slots < model.experts) return plan;  // cannot run: wait
  plan.physical = physical;
  for (const auto& layer : loads) {
    plan.replicas.push_back(AllocateReplicas(layer, nodes, model.slots, model.fault_tolerance)->replicas);
    plan.layers.push_back(*PlaceMro(plan.replicas.back(), nodes, model.slots));
  }
  plan.imbalance = PlanImbalance(plan, loads);
  return plan;
}

// Whether every layer keeps every expert after `dead` physical nodes fail.
bool Survives(const LazarusPlan& plan, const std::vector<char>& dead, int experts) {
  for (const Placement& p : plan.layers) {
    std::vector<char> kept(experts, 0);
    for (int j = 0; j < p.num_nodes(); ++j) {
      if (dead[plan.physical[j]]) continue;
      for (int e : p.nodes[j]) kept[e] = 1;
    }
    if (std::count(kept.begin(), kept.end(), 0) > 0) return false;
  }
  return true;
}

}  // namespace

SimModel GptLarge() { return SimModel(); }

SimModel GptSmall() {
  SimModel m;
  m.name = "GPT-S";
  m.experts = 8;
  m.ds_expert_parallel = 2;
  m.dense_s = 0.30;
  m.expert_s = 0.17;
  m.comm_s = 0.06;
  m.expert_state_mb = 63;
  m.state_gb = 7.3;  // 14 B/param × 521M params
  return m;
}

const char* PolicyName(Policy policy) {
  switch (policy) {
    case Policy::kLazarus:
      return "Lazarus";
    case Policy::kDeepSpeed:
      return "DS";
    case Policy::kDeepSpeedFt:
      return "DS(FT)";
  }
  return "?";
}

absl::StatusOr<SimRun> Simulate(const SimModel& model, const FailureTrace& trace, Policy policy,
                                double horizon_s, uint64_t seed) {
  if (trace.initial_nodes < 1 || model.experts < 1 || model.slots < 1 || horizon_s <= 0) {
    return absl::InvalidArgumentError("need nodes, experts, slots >= 1 and a positive horizon");
  }
  std::mt19937_64 rng(seed);
  std::mt19937_64 drift_rng(seed ^ 0xd71f7);
  const std::vector<std::vector<double>> base_loads = LayerLoads(model, seed);
  std::vector<std::vector<double>> loads = base_loads;
  std::vector<std::vector<double>> deviation(loads.size(), std::vector<double>(model.experts, 0.0));
  double ds_imbalance = DsImbalance(loads);

  const int max_nodes =
      trace.initial_nodes + std::accumulate(trace.events.begin(), trace.events.end(), 0,
                                            [](int s, const TraceEvent& e) { return s + e.joins; });
  std::vector<char> dead(max_nodes, 1);
  for (int j = 0; j < trace.initial_nodes; ++j) dead[j] = 0;
  int next_id = trace.initial_nodes;
  auto alive_ids = [&] {
    std::vector<int> ids;
    for (int j = 0; j < max_nodes; ++j) {
      if (!dead[j]) ids.push_back(j);
    }
    return ids;
  };

  SimRun run;
  double t = 0, samples_at_checkpoint = 0, compute_since_checkpoint = 0;
  int64_t steps_since_checkpoint = 0, steps_executed = 0;
  // Policy state: Lazarus's plan; DS/DS(FT)'s active groups of EP nodes.
  LazarusPlan plan;
  std::vector<std::vector<int>> groups;  // DS / DS(FT): active expert-parallel groups
  auto regroup = [&] {
    groups.clear();
    const std::vector<int> ids = alive_ids();
    const int ep = model.ds_expert_parallel;
    for (size_t g = 0; g + ep <= ids.size(); g += ep)
      groups.emplace_back(ids.begin() + g, ids.begin() + g + ep);
  };
  auto replan = [&] { plan = MakePlan(model, loads, alive_ids()); };
  if (policy == Policy::kLazarus) {
    replan();
  } else {
    regroup();
  }
  auto used_nodes = [&]() -> int {
    if (policy == Policy::kLazarus) return static_cast<int>(plan.physical.size());
    return static_cast<int>(groups.size()) * model.ds_expert_parallel;
  };
  auto step_time = [&] {
    const double imbalance = policy == Policy::kLazarus ? plan.imbalance : ds_imbalance;
    return model.dense_s + model.expert_s * imbalance + model.comm_s;
  };
  auto restart_from_checkpoint = [&] {
    run.samples = samples_at_checkpoint;  // the work since the checkpoint is lost: redone
    run.time.compute_s -= compute_since_checkpoint;
    run.time.redone_s += compute_since_checkpoint;
    compute_since_checkpoint = 0;
    steps_since_checkpoint = 0;
    run.time.restart_s += model.restart_s();
    t += model.restart_s();
    ++run.checkpoint_restarts;
  };
  // Moves Lazarus to `next` (a new plan on the same or new nodes); returns the
  // seconds the moved experts' state takes over the network.
  auto switch_plan = [&](LazarusPlan next) {
    const LazarusPlan old = std::exchange(plan, std::move(next));
    absl::StatusOr<Reconfiguration> moves =
        PlanReconfiguration(old.layers, old.physical, plan.layers, plan.physical, model.experts);
    const int64_t moved = moves.ok() ? static_cast<int64_t>(moves->transfers.size()) : 0;
    if (moves.ok()) plan.physical = moves->plan_to_physical;
    run.experts_moved += moved;
    return static_cast<double>(moved) * model.expert_state_mb * 8e-3 / model.network_gbps;
  };
  const int checkpoint_every = policy == Policy::kLazarus     ? model.lazarus_checkpoint_every
                               : policy == Policy::kDeepSpeed ? model.ds_checkpoint_every
                                                              : model.dsft_checkpoint_every;
  double next_curve = 0;
  auto record = [&] {
    while (next_curve <= std::min(t, horizon_s)) {
      run.curve_t.push_back(next_curve);
      run.curve_samples.push_back(run.samples);
      next_curve += 60;
    }
  };

  size_t next_event = 0;
  while (t < horizon_s) {
    const double event_t = next_event < trace.events.size() ? trace.events[next_event].time_s
                                                            : std::numeric_limits<double>::infinity();
    const int used = used_nodes();
    const double dt = step_time();
    if (used == 0) {  // nothing can run until the next event
      const double until = std::min(event_t, horizon_s);
      run.time.idle_s += until - t;
      t = until;
    } else if (t + dt <= event_t) {
      t += dt;
      run.time.compute_s += dt;
      compute_since_checkpoint += dt;
      run.samples += static_cast<double>(used) * model.batch_per_node;
      ++run.steps;
      ++steps_executed;
      if (++steps_since_checkpoint == checkpoint_every) {
        t += model.checkpoint_s();
        run.time.checkpoint_s += model.checkpoint_s();
        samples_at_checkpoint = run.samples;
        steps_since_checkpoint = 0;
        compute_since_checkpoint = 0;
      }
      if (model.drift_every > 0 && steps_executed % model.drift_every == 0 && model.load_drift > 0) {
        DriftLoads(base_loads, deviation, loads, model.load_drift, drift_rng);
        ds_imbalance = DsImbalance(loads);
        if (policy == Policy::kLazarus) plan.imbalance = PlanImbalance(plan, loads);
      }
      if (policy == Policy::kLazarus && model.rebalance_every > 0 &&
          steps_executed % model.rebalance_every == 0) {
        const double transfer_s = switch_plan(MakePlan(model, loads, plan.physical));
        run.time.rebalance_s += model.rebalance_s + transfer_s;
        t += model.rebalance_s + transfer_s;
      }
      record();
      continue;
    } else {
      // The interrupted step is dropped (events that fell inside a restart or
      // reconfiguration window are applied right after it).
      run.time.lost_s += std::max(0.0, event_t - t);
      t = std::max(t, event_t);
    }
    if (next_event >= trace.events.size() || t >= horizon_s) break;
    const TraceEvent& event = trace.events[next_event++];
    // Apply the event: failures hit random alive nodes; joins get fresh ids.
    std::vector<int> victims;
    for (int i = 0; i < event.failures; ++i) {
      std::vector<int> ids = alive_ids();
      if (ids.size() <= 1) break;
      const int victim = ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
      dead[victim] = 1;
      victims.push_back(victim);
    }
    for (int i = 0; i < event.joins && next_id < max_nodes; ++i) dead[next_id++] = 0;
    if (policy == Policy::kLazarus) {
      const bool recoverable = Survives(plan, dead, model.experts);
      if (!victims.empty() && !recoverable) {
        restart_from_checkpoint();
        replan();
      } else if (!victims.empty() || event.joins > 0) {
        // Reconfigure: new plan on the alive nodes; move the missing experts.
        const double transfer_s = switch_plan(MakePlan(model, loads, alive_ids()));
        run.time.reconfigure_s += model.reconfigure_s + transfer_s;
        t += model.reconfigure_s + transfer_s;
        if (!victims.empty()) ++run.failures_recovered;
      }
    } else {
      bool hit_active = false;
      for (const auto& g : groups) {
        for (int v : victims) hit_active |= std::count(g.begin(), g.end(), v) > 0;
      }
      if (policy == Policy::kDeepSpeedFt && hit_active) {
        // Keep the groups that are whole; recover if any survives.
        std::vector<std::vector<int>> whole;
        for (const auto& g : groups) {
          if (std::none_of(g.begin(), g.end(), [&](int n) { return dead[n] != 0; })) whole.push_back(g);
        }
        if (!whole.empty()) {
          groups = whole;
          run.time.reconfigure_s += model.reconfigure_s;
          t += model.reconfigure_s;
          ++run.failures_recovered;
        } else {
          restart_from_checkpoint();
          regroup();
        }
      } else if (policy == Policy::kDeepSpeed && (hit_active || event.joins > 0)) {
        // Checkpoint-restart (torchelastic restarts on every membership change
        // that changes the usable nodes).
        const std::vector<std::vector<int>> before = groups;
        regroup();
        if (hit_active || groups.size() != before.size()) restart_from_checkpoint();
      }
    }
    record();
  }
  record();
  return run;
}

}  // namespace warden::lazarus
