#include "distributed/lazarus/reconfigure.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"

namespace warden::lazarus {

namespace {

// What each alive physical node holds, and each expert's alive holders in the
// order of `old_physical`.
struct Held {
  std::map<int, std::vector<std::set<int>>> holds;          // physical -> [layer] -> experts
  std::map<std::pair<int, int>, std::vector<int>> holders;  // (layer, expert) -> physical ids
};

absl::Status CheckShapes(const std::vector<Placement>& old_layers, const std::vector<int>& old_physical,
                         const std::vector<Placement>& new_layers, size_t physical) {
  const size_t layers = new_layers.size();
  if (layers == 0 || old_layers.size() != layers) {
    return absl::InvalidArgumentError(
        absl::StrCat("old plan has ", old_layers.size(), " layers, new plan ", layers));
  }
  const int plan_nodes = new_layers[0].num_nodes();
  if (physical != static_cast<size_t>(plan_nodes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("new plan has ", plan_nodes, " nodes but ", physical, " physical nodes are available"));
  }
  for (size_t l = 0; l < layers; ++l) {
    if (new_layers[l].num_nodes() != plan_nodes ||
        old_layers[l].num_nodes() != static_cast<int>(old_physical.size())) {
      return absl::InvalidArgumentError(absl::StrCat("layer ", l, ": node counts disagree"));
    }
  }
  return absl::OkStatus();
}

Held HeldBy(const std::vector<Placement>& old_layers, const std::vector<int>& old_physical,
            const std::vector<int>& alive_ids) {
  Held out;
  const std::set<int> alive(alive_ids.begin(), alive_ids.end());
  for (size_t j = 0; j < old_physical.size(); ++j) {
    const int phys = old_physical[j];
    if (!alive.count(phys)) continue;
    auto& sets = out.holds[phys];
    sets.resize(old_layers.size());
    for (size_t l = 0; l < old_layers.size(); ++l) {
      for (int e : old_layers[l].nodes[j]) {
        if (sets[l].insert(e).second) out.holders[{static_cast<int>(l), e}].push_back(phys);
      }
    }
  }
  return out;
}

// Distinct experts plan node p needs in layer l.
std::set<int> Needs(const std::vector<Placement>& new_layers, size_t l, int p) {
  return std::set<int>(new_layers[l].nodes[p].begin(), new_layers[l].nodes[p].end());
}

}  // namespace

absl::StatusOr<std::vector<int>> MatchPlanNodes(const std::vector<Placement>& old_layers,
                                                const std::vector<int>& old_physical,
                                                const std::vector<Placement>& new_layers,
                                                const std::vector<int>& available, int experts_per_layer) {
  if (absl::Status s = CheckShapes(old_layers, old_physical, new_layers, available.size()); !s.ok()) return s;
  const size_t layers = new_layers.size();
  const int plan_nodes = new_layers[0].num_nodes();
  const Held held = HeldBy(old_layers, old_physical, available);
  std::vector<std::vector<std::set<int>>> needs(plan_nodes, std::vector<std::set<int>>(layers));
  std::vector<int> demand(plan_nodes, 0);
  for (int p = 0; p < plan_nodes; ++p) {
    for (size_t l = 0; l < layers; ++l) {
      needs[p][l] = Needs(new_layers, l, p);
      demand[p] += static_cast<int>(needs[p][l].size());
    }
  }
  std::vector<int> order(plan_nodes);
  for (int p = 0; p < plan_nodes; ++p) order[p] = p;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return demand[a] > demand[b]; });
  // Most demanding plan node first, to the physical node that already holds
  // the most of its experts (spec §5 step 2).
  std::vector<int> plan_to_physical(plan_nodes, -1);
  std::vector<char> taken(available.size(), 0);
  for (int p : order) {
    int best = -1, best_have = -1;
    for (size_t a = 0; a < available.size(); ++a) {
      if (taken[a]) continue;
      int have = 0;
      auto it = held.holds.find(available[a]);
      if (it != held.holds.end()) {
        for (size_t l = 0; l < layers; ++l) {
          for (int e : needs[p][l]) have += it->second[l].count(e);
        }
      }
      if (have > best_have) best = static_cast<int>(a), best_have = have;
    }
    taken[best] = 1;
    plan_to_physical[p] = available[best];
  }
  return plan_to_physical;
}

absl::StatusOr<Reconfiguration> ListTransfers(const std::vector<Placement>& old_layers,
                                              const std::vector<int>& old_physical,
                                              const std::vector<Placement>& new_layers,
                                              const std::vector<int>& plan_to_physical,
                                              int experts_per_layer) {
  if (absl::Status s = CheckShapes(old_layers, old_physical, new_layers, plan_to_physical.size()); !s.ok())
    return s;
  const Held held = HeldBy(old_layers, old_physical, plan_to_physical);
  Reconfiguration out;
  out.plan_to_physical = plan_to_physical;
  // Spreading each source's load: pick the holder with the fewest sends.
  std::map<int, int> sends;
  for (int p = 0; p < static_cast<int>(plan_to_physical.size()); ++p) {
    const int phys = plan_to_physical[p];
    auto it = held.holds.find(phys);
    for (size_t l = 0; l < new_layers.size(); ++l) {
      for (int e : Needs(new_layers, l, p)) {
        if (e < 0 || e >= experts_per_layer) {
          return absl::InvalidArgumentError(absl::StrCat("layer ", l, ": unknown expert ", e));
        }
        if (it != held.holds.end() && it->second[l].count(e)) continue;
        auto from = held.holders.find({static_cast<int>(l), e});
        int source = kFromCheckpoint;
        if (from != held.holders.end()) {
          for (int h : from->second) {
            if (source == kFromCheckpoint || sends[h] < sends[source]) source = h;
          }
        }
        if (source == kFromCheckpoint) {
          out.needs_checkpoint = true;
        } else {
          ++sends[source];
        }
        out.transfers.push_back({static_cast<int>(l), e, source, phys});
      }
    }
  }
  return out;
}

absl::StatusOr<Reconfiguration> PlanReconfiguration(const std::vector<Placement>& old_layers,
                                                    const std::vector<int>& old_physical,
                                                    const std::vector<Placement>& new_layers,
                                                    const std::vector<int>& available,
                                                    int experts_per_layer) {
  absl::StatusOr<std::vector<int>> plan_to_physical =
      MatchPlanNodes(old_layers, old_physical, new_layers, available, experts_per_layer);
  if (!plan_to_physical.ok()) return plan_to_physical.status();
  return ListTransfers(old_layers, old_physical, new_layers, *plan_to_physical, experts_per_layer);
}

}  // namespace warden::lazarus
