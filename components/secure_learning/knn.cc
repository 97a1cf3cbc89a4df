#include "components/secure_learning/knn.h"

#include <torch/torch.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "components/secure_learning/linear.h"

namespace warden::secure_learning {
namespace {

// The learners' shared data check (linear.h: shapes, labels, finiteness),
// then the test rows.
absl::Status Check(const at::Tensor& train_x, const at::Tensor& train_y, const at::Tensor& test_x,
                   int64_t classes) {
  if (absl::Status s = CheckLabelledFeatures(train_x, train_y, classes); !s.ok()) return s;
  if (test_x.dim() != 2 || test_x.size(1) != train_x.size(1))
    return absl::InvalidArgumentError(absl::StrCat("test features must be T x ", train_x.size(1)));
  return absl::OkStatus();
}

// ℓ2 distances (float32) of a chunk of test rows to every training row.
at::Tensor Distances(const at::Tensor& test_chunk, const at::Tensor& train_x) {
  return at::cdist(test_chunk.to(at::kFloat), train_x.to(at::kFloat)).contiguous();
}

// Certificates of each test row under each of `settings` vote rules:
// out[setting][test row]. Distances are computed once per chunk of rows.
absl::StatusOr<std::vector<std::vector<NeighbourCertificate>>> ForEachRow(
    const at::Tensor& train_x, const at::Tensor& train_y, const at::Tensor& test_x, int64_t classes,
    int64_t chunk, size_t settings,
    const std::function<std::vector<int64_t>(size_t, const std::vector<float>&, const std::vector<int64_t>&)>&
        votes_of) {
  if (absl::Status s = Check(train_x, train_y, test_x, classes); !s.ok()) return s;
  if (chunk < 1) return absl::InvalidArgumentError("chunk must be >= 1");
  torch::NoGradGuard no_grad;
  const at::Tensor y = train_y.contiguous();
  const std::vector<int64_t> labels(y.data_ptr<int64_t>(), y.data_ptr<int64_t>() + y.numel());
  const int64_t n = train_x.size(0);
  std::vector<std::vector<NeighbourCertificate>> out(settings);
  for (auto& o : out) o.reserve(static_cast<size_t>(test_x.size(0)));
  for (int64_t start = 0; start < test_x.size(0); start += chunk) {
    const at::Tensor d = Distances(test_x.slice(0, start, start + chunk), train_x);
    const float* p = d.data_ptr<float>();
    for (int64_t r = 0; r < d.size(0); ++r) {
      const std::vector<float> row(p + r * n, p + (r + 1) * n);
      for (size_t i = 0; i < settings; ++i) out[i].push_back(CertifyByVotes(votes_of(i, row, labels)));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::vector<NeighbourCertificate>>> CertifyKnnMany(
    const at::Tensor& train_x, const at::Tensor& train_y, const at::Tensor& test_x, int64_t classes,
    const std::vector<int64_t>& ks, int64_t chunk) {
  for (int64_t k : ks)
    if (k < 1) return absl::InvalidArgumentError("K must be >= 1");
  return ForEachRow(train_x, train_y, test_x, classes, chunk, ks.size(),
                    [&](size_t i, const std::vector<float>& d, const std::vector<int64_t>& y) {
                      return KnnVotes(d, y, ks[i], classes);
                    });
}

absl::StatusOr<std::vector<NeighbourCertificate>> CertifyKnn(const at::Tensor& train_x,
                                                             const at::Tensor& train_y,
                                                             const at::Tensor& test_x, int64_t classes,
                                                             int64_t k, int64_t chunk) {
  absl::StatusOr<std::vector<std::vector<NeighbourCertificate>>> all =
      CertifyKnnMany(train_x, train_y, test_x, classes, {k}, chunk);
  if (!all.ok()) return all.status();
  return std::move(all->front());
}

absl::StatusOr<std::vector<NeighbourCertificate>> CertifyRnn(const at::Tensor& train_x,
                                                             const at::Tensor& train_y,
                                                             const at::Tensor& test_x, int64_t classes,
                                                             double rho, int64_t chunk) {
  if (!(rho >= 0)) return absl::InvalidArgumentError("rho must be >= 0");
  absl::StatusOr<std::vector<std::vector<NeighbourCertificate>>> all =
      ForEachRow(train_x, train_y, test_x, classes, chunk, 1,
                 [&](size_t, const std::vector<float>& d, const std::vector<int64_t>& y) {
                   return RnnVotes(d, y, rho, classes);
                 });
  if (!all.ok()) return all.status();
  return std::move(all->front());
}

double RhoForMedianNeighbours(const at::Tensor& train_x, const at::Tensor& test_x, int64_t neighbours,
                              int64_t sample) {
  torch::NoGradGuard no_grad;
  const at::Tensor d = Distances(test_x.slice(0, 0, sample), train_x);
  const int64_t k = std::clamp<int64_t>(neighbours, 1, train_x.size(0));
  // The k-th smallest distance of each row; their median.
  const at::Tensor kth = std::get<0>(d.kthvalue(k, 1));
  return kth.median().item<double>();
}

}  // namespace warden::secure_learning
