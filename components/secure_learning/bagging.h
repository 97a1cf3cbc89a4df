// Bagging with linear heads (Jia, Cao, Gong, AAAI 2021) on features or pixels:
// N heads, each trained on k points drawn with replacement from the training
// set, vote on every test input; bagging_core turns the votes into certified
// poisoning sizes. Spec: docs/specs/secure_learning.md §1 and §7 (E1).
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_BAGGING_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_BAGGING_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "components/secure_learning/linear.h"

namespace warden::secure_learning {

struct BaggingConfig {
  int64_t subsample = 50;          // k
  int64_t models = 1000;           // N
  int64_t models_per_batch = 250;  // heads trained together (one batched GEMM per step)
  LinearConfig head;
  uint64_t seed = 0;
};

// Vote counts T × classes (int64) of `config.models` heads on `test_x`.
absl::StatusOr<at::Tensor> BaggingVotes(const at::Tensor& train_x, const at::Tensor& train_y,
                                        const at::Tensor& test_x, int64_t classes,
                                        const BaggingConfig& config);

struct BaggingResult {
  std::vector<int64_t> radius;  // r* per test input; -1: not certified (counts as wrong)
  double accuracy = 0;          // the vote's plurality (ties: lower label) against the labels
};

// Certified poisoning sizes from the votes: Clopper–Pearson at alpha / (classes
// · tests), A = the true label, the binary search of bagging_core over [0, n].
BaggingResult CertifyBagging(const at::Tensor& votes, const at::Tensor& test_y, int64_t train_size,
                             int64_t subsample, double alpha);

// Fraction of inputs with r* >= r, for each r.
std::vector<double> CertifiedAccuracy(const std::vector<int64_t>& radius, const std::vector<int64_t>& at);

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_BAGGING_H_
