#include "components/smoothing/certify_core.h"

#include <algorithm>
#include <numeric>

#include "components/smoothing/stats_core.h"

namespace warden::smoothing {

int ArgMax(const std::vector<int64_t>& counts) {
  if (counts.empty()) return kAbstain;
  return static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
}

PredictResult Predict(const std::vector<int64_t>& counts, double alpha) {
  PredictResult result;
  if (counts.empty()) return result;
  // Top two classes; lower index first on ties (stable order).
  std::vector<int> order(counts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return counts[a] > counts[b]; });
  const int64_t n_a = counts[order[0]];
  const int64_t n_b = counts.size() > 1 ? counts[order[1]] : 0;
  if (n_a + n_b == 0) return result;
  result.p_value = BinomialTestTwoSided(n_a, n_a + n_b, 0.5);
  if (result.p_value <= alpha) result.predicted_class = order[0];
  return result;
}

CertifyResult Certify(const std::vector<int64_t>& selection_counts,
                      const std::vector<int64_t>& estimation_counts, double sigma, double alpha) {
  CertifyResult result;
  if (selection_counts.empty() || selection_counts.size() != estimation_counts.size()) {
    return result;
  }
  const int c_a = ArgMax(selection_counts);
  const int64_t n = std::accumulate(estimation_counts.begin(), estimation_counts.end(), int64_t{0});
  if (n <= 0) return result;
  result.p_a_lower = ClopperPearsonLower(estimation_counts[c_a], n, alpha);
  if (result.p_a_lower > 0.5) {
    result.predicted_class = c_a;
    result.radius_l2 = sigma * NormalQuantile(result.p_a_lower);
  }
  return result;
}

PixelCertificate CertifyPixels(const std::vector<int64_t>& counts, int64_t num_pixels, int64_t num_classes,
                               double sigma, double alpha, double tau, std::string* error,
                               PixelCorrection correction) {
  PixelCertificate cert;
  auto fail = [&](const std::string& message) {
    if (error != nullptr) *error = message;
    return PixelCertificate();
  };
  if (num_pixels < 0 || num_classes < 1 || static_cast<int64_t>(counts.size()) != num_pixels * num_classes) {
    return fail("counts must hold num_pixels * num_classes values");
  }
  if (!(alpha > 0.0 && alpha < 1.0)) return fail("alpha must be in (0, 1)");
  if (!(tau >= 0.5 && tau < 1.0)) return fail("tau must be in [1/2, 1)");
  if (!(sigma > 0.0)) return fail("sigma must be > 0");
  cert.labels.assign(num_pixels, kAbstain);
  cert.radii.assign(num_pixels, 0.0);
  if (num_pixels == 0) return cert;

  std::vector<int> top(num_pixels);
  std::vector<int64_t> top_count(num_pixels);
  std::vector<double> p_values(num_pixels);
  int64_t n = -1;
  for (int64_t i = 0; i < num_pixels; ++i) {
    const int64_t* row = counts.data() + i * num_classes;
    const int64_t row_n = std::accumulate(row, row + num_classes, int64_t{0});
    if (n < 0) n = row_n;
    if (row_n != n || row_n <= 0) return fail("every pixel needs the same, non-zero number of samples");
    top[i] = static_cast<int>(std::max_element(row, row + num_classes) - row);
    top_count[i] = row[top[i]];
    p_values[i] = BinomialSurvival(top_count[i], n, tau);  // P(Bin(n, tau) >= n_i)
  }
  // Holm–Bonferroni step-down: reject in increasing p-value order while
  // p_(r) <= alpha / (m - r). Bonferroni: while p_(r) <= alpha / m.
  std::vector<int64_t> order(num_pixels);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return p_values[a] < p_values[b]; });
  for (int64_t r = 0; r < num_pixels; ++r) {
    const int64_t i = order[r];
    const double level =
        alpha / static_cast<double>(correction == PixelCorrection::kHolm ? num_pixels - r : num_pixels);
    if (p_values[i] > level) break;
    const double lower = ClopperPearsonLower(top_count[i], n, level);
    cert.labels[i] = top[i];
    cert.radii[i] = sigma * NormalQuantile(std::max(lower, tau));
    ++cert.num_certified;
  }
  if (error != nullptr) error->clear();
  return cert;
}

}  // namespace warden::smoothing
