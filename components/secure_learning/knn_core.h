// kNN and rNN certified poisoning size (Jia, Liu, Cao, Gong, AAAI 2022), exact
// and deterministic. Spec: docs/specs/secure_learning.md §2.
//
// Votes: s_l = how many of the test input's neighbours carry label l (the K
// nearest for kNN; every training point within distance rho for rNN). The
// prediction is a = argmax_l s_l, ties to the smaller label. Neighbours are
// ordered by (distance, training index), so ties in distance are broken by the
// earlier training point — the whole pipeline is deterministic.
//
// One inserted, deleted or modified training point moves s_a - s_l by at most
// 2 for kNN (an insertion adds an l-vote and evicts an a-vote; a deletion drops
// an a-vote and admits the (K+1)-th point; a modification relabels a
// neighbour), so r is certified iff for every l != a the gap survives r such
// moves under the tie rule:
//   r* = min_{l != a} ceil((s_a - s_l + [a < l]) / 2) - 1.
// For rNN an insertion or a deletion moves the gap by at most 1:
//   r*_{ins/del} = min_{l != a} (s_a - s_l + [a < l]) - 1,
// and with modifications the kNN formula holds. No neighbour: not certified.
//
// Portable: C++17 standard library only.
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_KNN_CORE_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_KNN_CORE_H_

#include <cstdint>
#include <vector>

namespace warden::secure_learning {

struct NeighbourCertificate {
  int64_t label = -1;   // the vote's winner; -1 with no votes or fewer than 2 labels
  int64_t radius = -1;  // r*: certified poisoning size; -1 when not certified
};

// argmax of `votes`, ties to the smaller label; -1 if every vote is 0 or
// `votes` is empty.
int64_t VoteWinner(const std::vector<int64_t>& votes);

// r* for kNN (and rNN under general poisoning): each operation moves a gap by
// at most 2.
NeighbourCertificate CertifyByVotes(const std::vector<int64_t>& votes);

// r* for rNN when the attacker only inserts or deletes: each operation moves a
// gap by at most 1.
NeighbourCertificate CertifyByVotesInsertDelete(const std::vector<int64_t>& votes);

// Votes of the `k` nearest training points (distance, then index) for one
// test input: `distances[i]` to training point i of label `labels[i]` in
// [0, num_labels). Empty when the sizes differ, k < 1, a label is out of
// range or a distance is NaN; fewer than k points vote with all of them.
std::vector<int64_t> KnnVotes(const std::vector<float>& distances, const std::vector<int64_t>& labels,
                              int64_t k, int64_t num_labels);

// Votes of every training point with distance <= rho (rNN); empty on invalid
// input as KnnVotes.
std::vector<int64_t> RnnVotes(const std::vector<float>& distances, const std::vector<int64_t>& labels,
                              double rho, int64_t num_labels);

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_KNN_CORE_H_
