#include "distributed/lazarus/runtime/recovery_machine.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "distributed/lazarus/allocation.h"
#include "distributed/lazarus/reconfigure.h"

namespace warden::lazarus {
namespace {

namespace p = protocol;

int RankIn(const std::vector<int>& members, int id) {
  return static_cast<int>(std::find(members.begin(), members.end(), id) - members.begin());
}

// A plan laid out on workers: rank order, replicas per rank, transfers.
struct Layout {
  std::vector<Placement> nodes;  // the plan over nodes, plan node j = members' node j
  std::vector<int> members;
  ReplicaPlan plan;
  std::vector<p::Transfer> transfers;
  bool needs_checkpoint = false;  // some expert has no usable holder
};

// Plans `available` (whole nodes of ranks_per_node workers, node = id /
// ranks_per_node) from the experts that `holders` hold (spec §3, §5): Eq. 1
// and MRO over nodes of ranks_per_node x slots slots, so replicas of an
// expert land on distinct nodes where the allocation allows; plan nodes
// matched to physical nodes so that few experts move (MatchPlanNodes);
// each node's experts dealt to its workers, each keeping what it holds where
// it can; then every missing expert fetched from a holder (ListTransfers).
absl::StatusOr<Layout> Lay(const RecoveryMachineOptions& o, const std::vector<int>& available,
                           const std::vector<int>& holders, const std::map<int, p::Holding>& holdings,
                           const Loads& loads) {
  const int per_node = o.ranks_per_node;
  const int experts = static_cast<int>(o.model.experts);
  std::map<int, std::vector<int>> node_workers;
  for (int id : available) node_workers[id / per_node].push_back(id);
  std::vector<int> nodes;
  for (auto& [node, workers] : node_workers) {
    if (static_cast<int>(workers.size()) != per_node) {
      return absl::InvalidArgumentError(absl::StrCat("node ", node, " has ", workers.size(), " of its ",
                                                     per_node, " workers: nodes join and leave whole"));
    }
    std::sort(workers.begin(), workers.end());
    nodes.push_back(node);
  }
  const int n = static_cast<int>(nodes.size());
  absl::StatusOr<std::vector<Placement>> layers =
      PlanLayers(o.model, loads, n, per_node * o.slots, o.fault_tolerance);
  if (!layers.ok()) return layers.status();

  // What each worker (worker_held: over `holders`) and each node holds now.
  std::map<int, std::set<ExpertKey>> have;
  std::vector<int> holder_nodes;
  std::vector<Placement> node_held(o.model.layers), worker_held(o.model.layers);
  for (Placement& layer : worker_held) layer.nodes.resize(holders.size());
  for (size_t w = 0; w < holders.size(); ++w) {
    const int id = holders[w], node = id / per_node;
    auto at = std::find(holder_nodes.begin(), holder_nodes.end(), node);
    const size_t j = at - holder_nodes.begin();
    if (at == holder_nodes.end()) {
      holder_nodes.push_back(node);
      for (Placement& layer : node_held) layer.nodes.emplace_back();
    }
    for (const ExpertKey& k : holdings.at(id).experts) {
      if (k.first < 0 || k.first >= o.model.layers || k.second < 0 || k.second >= experts) continue;
      if (!have[id].insert(k).second) continue;
      node_held[k.first].nodes[j].push_back(static_cast<int>(k.second));
      worker_held[k.first].nodes[w].push_back(static_cast<int>(k.second));
    }
  }
  absl::StatusOr<std::vector<int>> plan_to_physical =
      MatchPlanNodes(node_held, holder_nodes, *layers, nodes, experts);
  if (!plan_to_physical.ok()) return plan_to_physical.status();

  Layout out;
  out.nodes = *layers;
  std::vector<Placement> ranks(o.model.layers);
  for (Placement& layer : ranks) {
    layer.slots = o.slots;
    layer.nodes.resize(static_cast<size_t>(n) * per_node);
  }
  for (int plan_node = 0; plan_node < n; ++plan_node) {
    const std::vector<int>& workers = node_workers[(*plan_to_physical)[plan_node]];
    out.members.insert(out.members.end(), workers.begin(), workers.end());
    for (int64_t l = 0; l < o.model.layers; ++l) {
      std::vector<std::vector<int>> dealt(per_node);
      std::vector<int> rest;
      const auto fits = [&](int k, int e) {
        return static_cast<int>(dealt[k].size()) < o.slots &&
               std::find(dealt[k].begin(), dealt[k].end(), e) == dealt[k].end();
      };
      for (int e : (*layers)[l].nodes[plan_node]) {
        int k = 0;
        while (k < per_node && !(fits(k, e) && have[workers[k]].count({l, e}))) ++k;
        if (k < per_node) {
          dealt[k].push_back(e);
        } else {
          rest.push_back(e);
        }
      }
      for (int e : rest) {
        int k = 0;
        while (k < per_node && !fits(k, e)) ++k;
        if (k == per_node)
          k = static_cast<int>(std::min_element(dealt.begin(), dealt.end(),
                                                [](auto& a, auto& b) { return a.size() < b.size(); }) -
                               dealt.begin());  // a duplicate on one rank
        dealt[k].push_back(e);
      }
      for (int k = 0; k < per_node; ++k) ranks[l].nodes[plan_node * per_node + k] = dealt[k];
    }
  }
  out.plan = ToReplicaPlan(ranks, experts);
  // Missing experts from a holder (ranks are workers now: plan rank r is out.members[r]).
  absl::StatusOr<Reconfiguration> moves = ListTransfers(worker_held, holders, ranks, out.members, experts);
  if (!moves.ok()) return moves.status();
  out.needs_checkpoint = moves->needs_checkpoint;
  for (const ExpertTransfer& t : moves->transfers) {
    if (t.from_node != kFromCheckpoint)
      out.transfers.push_back(
          {t.layer, t.expert, RankIn(out.members, t.from_node), RankIn(out.members, t.to_node)});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Placement>> PlanLayers(const MoeConfig& model, const Loads& loads, int ranks,
                                                  int slots, int fault_tolerance) {
  std::vector<Placement> layers;
  for (int64_t l = 0; l < model.layers; ++l) {
    std::vector<double> load(model.experts, 1.0);
    if (static_cast<int64_t>(loads.size()) == model.layers) {
      for (int64_t e = 0; e < model.experts; ++e) load[e] = 1.0 + static_cast<double>(loads[l][e]);
    }
    absl::StatusOr<ReplicaAllocation> alloc = AllocateReplicas(load, ranks, slots, fault_tolerance);
    if (!alloc.ok()) return alloc.status();
    absl::StatusOr<Placement> placement = PlaceMro(alloc->replicas, ranks, slots);
    if (!placement.ok()) return placement.status();
    layers.push_back(*placement);
  }
  return layers;
}

ReplicaPlan ToReplicaPlan(const std::vector<Placement>& layers, int experts) {
  ReplicaPlan plan;
  for (const Placement& p : layers) {
    std::vector<std::vector<int>> layer(experts, std::vector<int>(p.num_nodes(), 0));
    for (int j = 0; j < p.num_nodes(); ++j) {
      for (int e : p.nodes[j]) layer[e][j] += 1;
    }
    plan.push_back(layer);
  }
  return plan;
}

Standing Classify(const Observation& o, bool committed, double hang_timeout_s) {
  if (o.done) return Standing::kPending;  // finished, whether or not still running
  // Gone before reported: a worker may report a peer's failure and then die
  // itself (two kills in a row); it must not count as a survivor.
  if (o.exited) return Standing::kGone;
  if (o.reported || (o.acknowledged && !committed)) return Standing::kSurvivor;
  if (o.heartbeat_age_s > hang_timeout_s) return Standing::kHung;
  return Standing::kPending;
}

RecoveryMachine::RecoveryMachine(const RecoveryMachineOptions& options) : o_(options) {}

p::Generation RecoveryMachine::Propose(p::Generation g, std::vector<Placement> nodes) {
  g.gen = next_gen_++;
  node_plan_ = std::move(nodes);
  current_ = g;
  phase_ = Phase::kPreparing;
  acks_.clear();
  return g;
}

absl::StatusOr<p::Generation> RecoveryMachine::Start(const std::vector<int>& members) {
  if (phase_ != Phase::kIdle) return absl::FailedPreconditionError("the run has already started");
  if (members.empty()) return absl::InvalidArgumentError("no workers");
  absl::StatusOr<Layout> lay = Lay(o_, members, {}, {}, {});
  if (!lay.ok()) return lay.status();
  p::Generation g;
  g.members = lay->members;
  g.plan = lay->plan;  // no transfers: every member initialises its experts
  return Propose(g, lay->nodes);
}

absl::StatusOr<bool> RecoveryMachine::Acknowledge(int gen, int id, const p::Holding& holding) {
  if (phase_ != Phase::kPreparing || gen != current_.gen) return false;
  const int rank = current_.RankOf(id);
  if (rank < 0) return absl::InvalidArgumentError(absl::StrCat("worker ", id, " is not in generation ", gen));
  // It holds at least its plan's experts: those it is about to drop stay
  // until the commit, so a failure now can still take them from it.
  const std::vector<ExpertKey> want = current_.ExpertsOf(rank);
  const std::set<ExpertKey> have(holding.experts.begin(), holding.experts.end());
  for (const ExpertKey& k : want) {
    if (!have.count(k) || !holding.has_state) {
      return absl::InternalError(absl::StrCat("worker ", id, " acknowledged generation ", gen,
                                              " without its plan's expert ", ExpertName(k)));
    }
  }
  acks_[id] = holding;
  if (acks_.size() < current_.members.size()) return false;
  // Committed: every member keeps exactly its plan's experts from now on.
  committed_ = std::move(acks_);
  acks_.clear();
  for (auto& [member, h] : committed_) h.experts = current_.ExpertsOf(current_.RankOf(member));
  phase_ = Phase::kCommitted;
  return true;
}

absl::StatusOr<p::Generation> RecoveryMachine::Change(const std::vector<int>& available,
                                                      const std::vector<int>& joiners, const Loads& loads) {
  if (phase_ != Phase::kCommitted) {
    return absl::FailedPreconditionError(
        absl::StrCat("generation ", current_.gen, " is still being prepared; a change waits for its commit"));
  }
  // Every member of the committed generation that stays holds what it acknowledged.
  std::vector<int> holders;
  for (int id : current_.members) {
    if (std::find(available.begin(), available.end(), id) != available.end()) holders.push_back(id);
  }
  if (holders.empty()) return absl::InvalidArgumentError("a change must keep a member of the generation");
  absl::StatusOr<Layout> lay = Lay(o_, available, holders, committed_, loads);
  if (!lay.ok()) return lay.status();
  if (lay->needs_checkpoint)
    return absl::InvalidArgumentError("a change must not drop an expert's last replica");
  p::Generation g;
  g.members = lay->members;
  g.plan = lay->plan;
  g.transfers = lay->transfers;
  for (size_t rank = 0; rank < g.members.size(); ++rank) {
    if (std::find(joiners.begin(), joiners.end(), g.members[rank]) == joiners.end()) {
      g.dense_source = static_cast<int>(rank);
      break;
    }
  }
  return Propose(g, lay->nodes);
}

absl::StatusOr<RecoveryMachine::Recovery> RecoveryMachine::Fail(const std::map<int, p::Holding>& survivors,
                                                                const Loads& loads) {
  if (phase_ == Phase::kIdle) return absl::FailedPreconditionError("no generation has started");
  if (survivors.empty()) return absl::UnavailableError("every worker failed");
  Recovery out;
  for (int id : current_.members) out.lost += survivors.count(id) ? 0 : 1;
  for (const auto& [id, h] : survivors) {
    if (current_.RankOf(id) < 0)
      return absl::InvalidArgumentError(absl::StrCat("worker ", id, " is not in generation ", current_.gen));
  }

  // The latest state any survivor has, and who can bring the others to it.
  int64_t latest = -1;
  bool any_state = false;
  for (const auto& [id, h] : survivors) {
    if (!h.has_state) continue;
    latest = any_state ? std::max(latest, h.applied) : h.applied;
    any_state = true;
  }
  int source = -1;  // keeps step `latest`'s summed gradients
  for (const auto& [id, h] : survivors) {
    if (source < 0 && h.has_state && h.applied == latest && h.reduced_step == latest) source = id;
  }
  std::vector<int> holders, available;  // holders: survivors whose experts are (or will be) at `latest`
  bool catch_up = false;
  for (const auto& [id, h] : survivors) {
    available.push_back(id);
    if (!h.has_state) continue;
    if (h.applied == latest) {
      holders.push_back(id);
    } else if (h.applied == latest - 1 && source >= 0) {
      holders.push_back(id);
      catch_up = true;
    }
  }

  absl::StatusOr<Layout> lay = Lay(o_, available, holders, survivors, loads);
  if (!lay.ok()) return lay.status();
  p::Generation g;
  g.members = lay->members;
  g.plan = lay->plan;
  if (lay->needs_checkpoint || !any_state) {
    if (!o_.checkpoint_available) {
      return absl::DataLossError(any_state
                                     ? "an expert lost every replica and no checkpoint is configured"
                                     : "no survivor holds training state and no checkpoint is configured");
    }
    g.from_checkpoint = true;  // every member reloads it; every later step is redone, none dropped
    out.generation = Propose(g, lay->nodes);
    return out;
  }
  const int dense_holder = source >= 0 ? source : [&] {
    for (int id : holders) {
      if (survivors.at(id).applied == latest) return id;
    }
    return holders.front();
  }();
  g.dense_source = RankIn(g.members, dense_holder);
  g.catch_up_source = catch_up ? RankIn(g.members, source) : -1;
  g.state_step = latest;
  g.resume_step = latest + (o_.retry_failed_step ? 1 : 2);
  if (!o_.retry_failed_step) out.dropped_step = latest + 1;
  g.transfers = lay->transfers;
  out.generation = Propose(g, lay->nodes);
  return out;
}

}  // namespace warden::lazarus
