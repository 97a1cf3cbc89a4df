// SISA exact unlearning (Bourtoule et al., IEEE S&P 2021): the bookkeeping
// that does not touch a model. Spec: docs/specs/secure_learning.md §5.
//
// The training points (in a given order, usually a seeded shuffle) are cut
// into S contiguous shards of ⌊n/S⌋ points, the last shard taking the
// remainder; each shard into R slices the same way. Stage j of a shard trains
// on slices 0..j for e_j = ⌊(j+1)ē⌋ − ⌊jē⌋ epochs, ē = 2E/(R+1), starting
// from stage j−1's checkpoint, so a shard's total compute is about E
// shard-epochs. Unlearning a point in slice j deletes it and retrains stages
// j..R−1 of its shard only.
//
// Portable: C++17 standard library only.
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_SISA_CORE_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_SISA_CORE_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace warden::secure_learning {

// layout[shard][slice] = the point ids of that slice, in training order.
using SisaLayout = std::vector<std::vector<std::vector<int64_t>>>;

// Cuts `order` into `shards` × `slices` as above. Empty when shards < 1,
// slices < 1 or there are fewer points than shards × slices.
SisaLayout MakeSisaLayout(const std::vector<int64_t>& order, int64_t shards, int64_t slices);

// e_j for j = 0..slices-1 (sums to ⌊R ē⌋ = ⌊2ER/(R+1)⌋). Empty when epochs < 0
// or slices < 1.
std::vector<int64_t> SliceEpochs(int64_t epochs, int64_t slices);

struct SisaLocation {
  int64_t shard = 0, slice = 0, position = 0;
};
// Where point `id` sits in `layout`, or nullopt if it is not there.
std::optional<SisaLocation> FindInLayout(const SisaLayout& layout, int64_t id);

// The share of one shard's training compute (point-epochs) that unlearning a
// point of slice j repeats, averaged over a uniformly random point of a shard
// with equal slices: (1/R) Σ_j Σ_{i ≥ j} e_i (i+1) / Σ_i e_i (i+1). For large E
// this tends to (2R+1)/(3R) (spec §5: 1 at R = 1, 0.75 at R = 4). NaN for
// epochs < 1 or slices < 1.
double ExpectedRetrainShare(int64_t epochs, int64_t slices);

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_SISA_CORE_H_
