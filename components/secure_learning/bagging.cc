#include "components/secure_learning/bagging.h"

#include <torch/torch.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "components/secure_learning/bagging_core.h"
#include "components/tensor/random.h"

namespace warden::secure_learning {

absl::StatusOr<at::Tensor> BaggingVotes(const at::Tensor& train_x, const at::Tensor& train_y,
                                        const at::Tensor& test_x, int64_t classes, const BaggingConfig& c) {
  if (absl::Status s = CheckLabelledFeatures(train_x, train_y, classes); !s.ok()) return s;
  if (test_x.dim() != 2 || test_x.size(1) != train_x.size(1)) {
    return absl::InvalidArgumentError(absl::StrCat("test features must be T x ", train_x.size(1)));
  }
  if (c.subsample < 1 || c.models < 1 || c.models_per_batch < 1) {
    return absl::InvalidArgumentError("need subsample, models and models_per_batch >= 1");
  }
  torch::NoGradGuard no_grad;
  const int64_t n = train_x.size(0), d = train_x.size(1) + 1;
  const at::Tensor xb = at::cat({train_x.to(at::kFloat), at::ones({n, 1})}, 1);
  const at::Tensor test_b = at::cat({test_x.to(at::kFloat), at::ones({test_x.size(0), 1})}, 1);
  const at::Tensor onehot = torch::one_hot(train_y, classes).to(at::kFloat);
  at::Tensor votes = at::zeros({test_x.size(0), classes}, at::kLong);
  at::Generator gen = tensor::MakeCpuGenerator(c.seed, 53);
  for (int64_t first = 0; first < c.models; first += c.models_per_batch) {
    const int64_t m = std::min(c.models_per_batch, c.models - first);
    // Each head's k indices, with replacement: m × k.
    const at::Tensor idx = at::randint(n, {m, c.subsample}, gen);
    const at::Tensor x = xb.index_select(0, idx.flatten()).view({m, c.subsample, d});
    const at::Tensor y = onehot.index_select(0, idx.flatten()).view({m, c.subsample, classes});
    at::Tensor w = at::zeros({m, classes, d});
    at::Tensor decay_mask = at::ones({1, 1, d});
    decay_mask.select(2, d - 1).zero_();
    HeadOptimizer optimizer(c.head, w);  // elementwise: each head's own Adam state
    for (int64_t step = 0; step < c.head.steps; ++step) {
      const at::Tensor residual = x.bmm(w.transpose(1, 2)).softmax(2).sub_(y);  // p - e_y: m × k × C
      // decay · w (bias column excluded) + residualᵀ x / k, in one batched GEMM.
      optimizer.Step(w, at::baddbmm(w * decay_mask, residual.transpose(1, 2), x, c.head.weight_decay,
                                    1.0 / static_cast<double>(c.subsample)));
    }
    // Predictions of the m heads on every test input: m × T.
    const at::Tensor pred = at::einsum("td,mcd->mtc", {test_b, w}).argmax(2);
    votes += torch::one_hot(pred, classes).sum(0);
  }
  return votes;
}

BaggingResult CertifyBagging(const at::Tensor& votes, const at::Tensor& test_y, int64_t train_size,
                             int64_t subsample, double alpha) {
  BaggingResult out;
  const int64_t tests = votes.size(0), classes = votes.size(1);
  const double tail = BaggingTail(alpha, classes, tests);
  const at::Tensor v = votes.contiguous();
  const int64_t* counts = v.data_ptr<int64_t>();
  int64_t correct = 0;
  for (int64_t t = 0; t < tests; ++t) {
    const std::vector<int64_t> row(counts + t * classes, counts + (t + 1) * classes);
    const int64_t label = test_y[t].item<int64_t>();
    const auto winner = std::max_element(row.begin(), row.end()) - row.begin();  // first max: lower label
    if (winner == label) ++correct;
    const BaggingBounds b = BaggingBoundsFromCounts(row, label, tail);
    out.radius.push_back(BaggingCertifiedSize(train_size, subsample, b.p_a, b.p_b));
  }
  out.accuracy = tests > 0 ? static_cast<double>(correct) / static_cast<double>(tests) : 0;
  return out;
}

std::vector<double> CertifiedAccuracy(const std::vector<int64_t>& radius, const std::vector<int64_t>& at) {
  std::vector<double> out;
  for (int64_t r : at) {
    const auto hits = std::count_if(radius.begin(), radius.end(), [r](int64_t x) { return x >= r; });
    out.push_back(radius.empty() ? 0 : static_cast<double>(hits) / static_cast<double>(radius.size()));
  }
  return out;
}

}  // namespace warden::secure_learning
