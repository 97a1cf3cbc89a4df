// kNN and rNN certified poisoning size over a training set of features or
// pixels (Jia, Liu, Cao, Gong, AAAI 2022): exact distances in float32 (ℓ2;
// on L2-normalised features ℓ2 orders like cosine), the deterministic
// neighbour order and certificates of knn_core. Spec:
// docs/specs/secure_learning.md §2 and §7 (E2).
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_KNN_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_KNN_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "components/secure_learning/knn_core.h"

namespace warden::secure_learning {

// Certificates of the K-nearest-neighbour vote for each test input (rows of
// test_x against rows of train_x, ℓ2), in chunks of `chunk` test rows.
absl::StatusOr<std::vector<NeighbourCertificate>> CertifyKnn(const at::Tensor& train_x,
                                                             const at::Tensor& train_y,
                                                             const at::Tensor& test_x, int64_t classes,
                                                             int64_t k, int64_t chunk = 256);

// The same for several K at once (out[i] for ks[i]): one distance matrix
// serves every K.
absl::StatusOr<std::vector<std::vector<NeighbourCertificate>>> CertifyKnnMany(
    const at::Tensor& train_x, const at::Tensor& train_y, const at::Tensor& test_x, int64_t classes,
    const std::vector<int64_t>& ks, int64_t chunk = 256);

// Certificates of the radius-rho vote (general poisoning: the kNN bound); a
// test input with no training point within rho is not certified (label -1).
absl::StatusOr<std::vector<NeighbourCertificate>> CertifyRnn(const at::Tensor& train_x,
                                                             const at::Tensor& train_y,
                                                             const at::Tensor& test_x, int64_t classes,
                                                             double rho, int64_t chunk = 256);

// The rho at which the median test input has `neighbours` training points
// within rho (the spec's calibration), from the first `sample` test rows.
double RhoForMedianNeighbours(const at::Tensor& train_x, const at::Tensor& test_x, int64_t neighbours,
                              int64_t sample = 200);

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_KNN_H_
