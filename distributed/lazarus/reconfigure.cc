#include "distributed/lazarus/reconfigure.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"

namespace warden::lazarus {

absl::StatusOr<Reconfiguration> PlanReconfiguration(const std::vector<Placement>& old_layers,
                                                    const std::vector<int>& old_physical,
                                                    const std::vector<Placement>& new_layers,
                                                    const std::vector<int>& available,
                                                    int experts_per_layer) {
  const size_t layers = new_layers.size();
  if (layers == 0 || old_layers.size() != layers) {
    return absl::InvalidArgumentError(absl::StrCat("old plan has ", old_layers.size(),
                                                   " layers, new plan ", layers));
  }
  const int plan_nodes = new_layers[0].num_nodes();
  if (static_cast<int>(available.size()) != plan_nodes) {
    return absl::InvalidArgumentError(absl::StrCat("new plan has ", plan_nodes, " nodes but ",
                                                   available.size(), " physical nodes are available"));
  }
  for (size_t l = 0; l < layers; ++l) {
    if (new_layers[l].num_nodes() != plan_nodes ||
        old_layers[l].num_nodes() != static_cast<int>(old_physical.size())) {
      return absl::InvalidArgumentError(absl::StrCat("layer ", l, ": node counts disagree"));
    }
  }
  // What each physical node holds now: holds[physical][layer] = set of experts.
  std::map<int, std::vector<std::set<int>>> holds;
  std::map<std::pair<int, int>, std::vector<int>> holders;  // (layer, expert) -> alive physical ids
  const std::set<int> alive(available.begin(), available.end());
  for (size_t j = 0; j < old_physical.size(); ++j) {
    const int phys = old_physical[j];
    if (!alive.count(phys)) continue;
    auto& sets = holds[phys];
    sets.resize(layers);
    for (size_t l = 0; l < layers; ++l) {
      for (int e : old_layers[l].nodes[j]) {
        if (sets[l].insert(e).second) holders[{static_cast<int>(l), e}].push_back(phys);
      }
    }
  }
  // Distinct experts each plan node needs, per layer.
  std::vector<std::vector<std::set<int>>> needs(plan_nodes, std::vector<std::set<int>>(layers));
  std::vector<int> demand(plan_nodes, 0);
  for (int p = 0; p < plan_nodes; ++p) {
    for (size_t l = 0; l < layers; ++l) {
      needs[p][l].insert(new_layers[l].nodes[p].begin(), new_layers[l].nodes[p].end());
      demand[p] += static_cast<int>(needs[p][l].size());
    }
  }
  std::vector<int> order(plan_nodes);
  for (int p = 0; p < plan_nodes; ++p) order[p] = p;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return demand[a] > demand[b]; });

  Reconfiguration out;
  out.plan_to_physical.assign(plan_nodes, -1);
  std::vector<char> taken(available.size(), 0);
  for (int p : order) {
    int best = -1, best_have = -1;
    for (size_t a = 0; a < available.size(); ++a) {
      if (taken[a]) continue;
      int have = 0;
      auto it = holds.find(available[a]);
      if (it != holds.end()) {
        for (size_t l = 0; l < layers; ++l) {
          for (int e : needs[p][l]) have += it->second[l].count(e);
        }
      }
      if (have > best_have) best = static_cast<int>(a), best_have = have;
    }
    taken[best] = 1;
    out.plan_to_physical[p] = available[best];
  }
  // Transfers, spreading each source's load: pick the holder with the fewest sends.
  std::map<int, int> sends;
  for (int p = 0; p < plan_nodes; ++p) {
    const int phys = out.plan_to_physical[p];
    auto it = holds.find(phys);
    for (size_t l = 0; l < layers; ++l) {
      for (int e : needs[p][l]) {
        if (e < 0 || e >= experts_per_layer) {
          return absl::InvalidArgumentError(absl::StrCat("layer ", l, ": unknown expert ", e));
        }
        if (it != holds.end() && it->second[l].count(e)) continue;
        const auto& from = holders[{static_cast<int>(l), e}];
        int source = kFromCheckpoint;
        for (int h : from) {
          if (source == kFromCheckpoint || sends[h] < sends[source]) source = h;
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

}  // namespace warden::lazarus
