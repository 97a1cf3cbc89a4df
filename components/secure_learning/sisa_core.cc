#include "components/secure_learning/sisa_core.h"

#include <cmath>
#include <limits>

namespace warden::secure_learning {
namespace {

// [begin, end) of part `i` of `parts` contiguous blocks of ⌊n/parts⌋ over n
// items, the last block taking the remainder.
std::pair<int64_t, int64_t> Block(int64_t n, int64_t parts, int64_t i) {
  const int64_t size = n / parts;
  return {i * size, i + 1 == parts ? n : (i + 1) * size};
}

}  // namespace

SisaLayout MakeSisaLayout(const std::vector<int64_t>& order, int64_t shards, int64_t slices) {
  const auto n = static_cast<int64_t>(order.size());
  if (shards < 1 || slices < 1 || n < shards * slices) return {};
  SisaLayout layout(static_cast<size_t>(shards));
  for (int64_t s = 0; s < shards; ++s) {
    const auto [shard_begin, shard_end] = Block(n, shards, s);
    for (int64_t j = 0; j < slices; ++j) {
      const auto [begin, end] = Block(shard_end - shard_begin, slices, j);
      layout[s].emplace_back(order.begin() + shard_begin + begin, order.begin() + shard_begin + end);
    }
  }
  return layout;
}

std::vector<int64_t> SliceEpochs(int64_t epochs, int64_t slices) {
  if (epochs < 0 || slices < 1) return {};
  // ⌊j · 2E/(R+1)⌋ in integers: ⌊2Ej / (R+1)⌋.
  auto cumulative = [&](int64_t j) { return 2 * epochs * j / (slices + 1); };
  std::vector<int64_t> e;
  for (int64_t j = 0; j < slices; ++j) e.push_back(cumulative(j + 1) - cumulative(j));
  return e;
}

std::optional<SisaLocation> FindInLayout(const SisaLayout& layout, int64_t id) {
  for (size_t s = 0; s < layout.size(); ++s) {
    for (size_t j = 0; j < layout[s].size(); ++j) {
      for (size_t p = 0; p < layout[s][j].size(); ++p) {
        if (layout[s][j][p] == id) {
          return SisaLocation{static_cast<int64_t>(s), static_cast<int64_t>(j), static_cast<int64_t>(p)};
        }
      }
    }
  }
  return std::nullopt;
}

double ExpectedRetrainShare(int64_t epochs, int64_t slices) {
  if (epochs < 1 || slices < 1) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<int64_t> e = SliceEpochs(epochs, slices);
  // Stage i costs e_i epochs over i + 1 slices.
  std::vector<double> stage_cost;
  double total = 0;
  for (int64_t i = 0; i < slices; ++i) {
    stage_cost.push_back(static_cast<double>(e[i]) * static_cast<double>(i + 1));
    total += stage_cost.back();
  }
  if (total == 0) return std::numeric_limits<double>::quiet_NaN();
  double share = 0, suffix = 0;
  for (int64_t j = slices - 1; j >= 0; --j) {
    suffix += stage_cost[j];
    share += suffix / total;
  }
  return share / static_cast<double>(slices);
}

}  // namespace warden::secure_learning
