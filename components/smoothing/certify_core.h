// Randomized-smoothing decisions from class counts (Cohen et al., 2019):
// PREDICT, CERTIFY, and pixel-wise certification for segmentation (SegCertify,
// Fischer et al., 2021). Spec: docs/specs/smoothing.md §2, §3, §6.
//
// Portable: C++17 standard library only; compiled natively and with emcc for
// the browser demo. Sampling (noise + base-model forwards) lives in sampler.h.
#ifndef WARDEN_COMPONENTS_SMOOTHING_CERTIFY_CORE_H_
#define WARDEN_COMPONENTS_SMOOTHING_CERTIFY_CORE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace warden::smoothing {

// The label of an abstention.
inline constexpr int kAbstain = -1;

struct PredictResult {
  int predicted_class = kAbstain;  // kAbstain when the test is not significant
  double p_value = 1.0;            // two-sided binomial test of top-1 vs top-2
};

// PREDICT: the top class if the two-sided binomial test of its count against the
// runner-up's (at p = 1/2) has p-value <= alpha; else abstain. The chance of
// returning a class other than the smoothed classifier's is at most alpha.
// Ties rank the lower class index first. Empty or all-zero counts abstain.
PredictResult Predict(const std::vector<int64_t>& counts, double alpha);

struct CertifyResult {
  int predicted_class = kAbstain;  // kAbstain when p_A's lower bound is <= 1/2
  double radius_l2 = 0.0;          // sigma * Φ⁻¹(p_a_lower); 0 when abstaining
  double p_a_lower = 0.0;          // one-sided (1 - alpha) Clopper–Pearson bound
};

// CERTIFY: picks ĉ_A = argmax of `selection_counts` (n0 draws), bounds p_A from
// `estimation_counts[ĉ_A]` of n = sum(estimation_counts) fresh draws, and
// returns (ĉ_A, sigma Φ⁻¹(p_A lower)) if the bound exceeds 1/2, else abstains.
// Both vectors hold one count per class; mismatched sizes, no classes or n = 0
// abstain.
CertifyResult Certify(const std::vector<int64_t>& selection_counts,
                      const std::vector<int64_t>& estimation_counts, double sigma, double alpha);

// Index of the largest count, lowest index on ties; kAbstain for an empty vector.
int ArgMax(const std::vector<int64_t>& counts);

struct PixelCertificate {
  std::vector<int> labels;    // per pixel: certified class or kAbstain
  std::vector<double> radii;  // per pixel: sigma Φ⁻¹(p_A lower), 0 if abstaining
  int64_t num_certified = 0;
};

// How the per-pixel tests share the failure probability alpha.
enum class PixelCorrection {
  kHolm,        // step-down: the r-th smallest p-value is tested at alpha / (m - r)
  kBonferroni,  // every pixel at alpha / m (certifies a subset of Holm's pixels)
};

// Pixel-wise certification (SegCertify): `counts` holds num_pixels × num_classes
// counts (row-major) from n noisy samples. Per pixel i, ĉ_i is its top class and
// H0: p_i <= tau is tested by the binomial tail P(Bin(n, tau) >= n_i); the tests
// are corrected jointly (Holm–Bonferroni by default) so that every certified
// pixel is right with probability >= 1 - alpha. A certified pixel's radius uses
// the Clopper–Pearson bound at its test's level. tau must be in [1/2, 1).
// Returns an empty certificate with `error` set on bad sizes or parameters.
PixelCertificate CertifyPixels(const std::vector<int64_t>& counts, int64_t num_pixels, int64_t num_classes,
                               double sigma, double alpha, double tau, std::string* error,
                               PixelCorrection correction = PixelCorrection::kHolm);

}  // namespace warden::smoothing

#endif  // WARDEN_COMPONENTS_SMOOTHING_CERTIFY_CORE_H_
