#include "components/secure_learning/knn_core.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace warden::secure_learning {
namespace {

// The smallest gap over l != a, each as gap(l) = s_a - s_l + [a < l], passed
// through `radius_of_gap`.
template <typename F>
NeighbourCertificate Certify(const std::vector<int64_t>& votes, F radius_of_gap) {
  NeighbourCertificate out;
  if (votes.size() < 2) return out;  // nothing to flip to: not a classification
  out.label = VoteWinner(votes);
  if (out.label < 0) return out;
  int64_t radius = INT64_MAX;
  for (size_t l = 0; l < votes.size(); ++l) {
    const auto label = static_cast<int64_t>(l);
    if (label == out.label) continue;
    const int64_t gap = votes[out.label] - votes[l] + (out.label < label ? 1 : 0);
    radius = std::min(radius, radius_of_gap(gap));
  }
  out.radius = radius;
  return out;
}

bool ValidInput(const std::vector<float>& distances, const std::vector<int64_t>& labels, int64_t num_labels) {
  if (distances.size() != labels.size() || num_labels < 1) return false;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_labels || std::isnan(distances[i])) return false;
  }
  return true;
}

}  // namespace

int64_t VoteWinner(const std::vector<int64_t>& votes) {
  int64_t best = -1;
  for (size_t l = 0; l < votes.size(); ++l) {
    if (votes[l] > 0 && (best < 0 || votes[l] > votes[best])) best = static_cast<int64_t>(l);
  }
  return best;
}

NeighbourCertificate CertifyByVotes(const std::vector<int64_t>& votes) {
  // ceil(gap / 2) - 1 for gap >= 1.
  return Certify(votes, [](int64_t gap) { return (gap + 1) / 2 - 1; });
}

NeighbourCertificate CertifyByVotesInsertDelete(const std::vector<int64_t>& votes) {
  return Certify(votes, [](int64_t gap) { return gap - 1; });
}

std::vector<int64_t> KnnVotes(const std::vector<float>& distances, const std::vector<int64_t>& labels,
                              int64_t k, int64_t num_labels) {
  if (k < 1 || !ValidInput(distances, labels, num_labels)) return {};
  std::vector<int64_t> order(distances.size());
  std::iota(order.begin(), order.end(), 0);
  const auto take = std::min<size_t>(static_cast<size_t>(k), order.size());
  auto closer = [&](int64_t i, int64_t j) {
    return distances[i] < distances[j] || (distances[i] == distances[j] && i < j);
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take), order.end(), closer);
  std::vector<int64_t> votes(static_cast<size_t>(num_labels), 0);
  for (size_t i = 0; i < take; ++i) ++votes[labels[order[i]]];
  return votes;
}

std::vector<int64_t> RnnVotes(const std::vector<float>& distances, const std::vector<int64_t>& labels,
                              double rho, int64_t num_labels) {
  if (!(rho >= 0) || !ValidInput(distances, labels, num_labels)) return {};
  std::vector<int64_t> votes(static_cast<size_t>(num_labels), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (distances[i] <= rho) ++votes[labels[i]];
  }
  return votes;
}

}  // namespace warden::secure_learning
