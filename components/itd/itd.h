// Interpret-then-Deactivate (ItD spec §5–§6): concept features selected from a
// TopK SAE, and the deactivation hook that doubles as a zero-shot classifier.
//
// Selection: Top_K(p) = the K latents with the largest max-over-tokens code on
// prompt p (BOS skipped, each prompt tokenized alone); F = ∪_{targets}
// Top_K(p) \ ∪_{retains} Top_K(r).
// Deactivation at the hooked layer, per prompt: z = encode(h); z_{t,j} ← s·z_{t,j}
// for j ∈ F, t ≥ 1; h' = W_dec z + b_pre (pure reconstruction, all t); score =
// mean over (t, dims) of (h' − h)²; output h' if score ≥ τ, else h bit-exact.
#ifndef WARDEN_COMPONENTS_ITD_ITD_H_
#define WARDEN_COMPONENTS_ITD_ITD_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "components/clip/tokenizer.h"
#include "components/sae/sae.h"

namespace warden::itd {

// The K latents with the largest code over positions 1..T-1 of one prompt's
// activations h [T, d] (row 0, BOS, skipped).
std::vector<int64_t> TopLatents(sae::TopKSae& sae, const at::Tensor& h, int64_t k);

// Contrastive selection (spec §5). Each prompt is encoded alone (no padding).
absl::StatusOr<std::vector<int64_t>> SelectConceptFeatures(
    clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae, int64_t layer,
    const std::vector<std::string>& targets, const std::vector<std::string>& retains, int64_t k);

struct Deactivation {
  at::Tensor output;  // [B, T, d]: h' for flagged prompts, h (bit-exact) for the rest
  at::Tensor scores;  // [B]: mean squared change h' − h
  at::Tensor flagged; // [B] bool: score >= tau
};

// Applies deactivation of `features` with scale `s` and threshold `tau` to a
// layer output h [B, T, d].
Deactivation Deactivate(sae::TopKSae& sae, const at::Tensor& h, const std::vector<int64_t>& features,
                        double scale, double tau);

// The same from the SAE's top-k code of h (values, indices: [B, T, k]), which
// does not depend on the features: evaluation encodes once and re-scores.
Deactivation DeactivateEncoded(sae::TopKSae& sae, const at::Tensor& h, const at::Tensor& values,
                               const at::Tensor& indices, const std::vector<int64_t>& features, double scale,
                               double tau);

// Scores (no thresholding) of `prompts` as one batch. The score averages over
// every position, padding included, so τ holds for one padding regime only:
// ours is Stable Diffusion's 77-token padding (kToContext) throughout; the
// official code pads to the batch's longest prompt (kToLongest).
absl::StatusOr<at::Tensor> Scores(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                  sae::TopKSae& sae, int64_t layer, const std::vector<int64_t>& features,
                                  double scale, const std::vector<std::string>& prompts,
                                  clip::Padding padding = clip::Padding::kToContext);

// τ as the official code: 0.99 × the minimum score over the known target prompts.
double PaperThreshold(const at::Tensor& target_scores);

struct FprThreshold {
  double tau = 0;
  double fpr = 0;  // on the neutral prompts
  double tpr = 0;  // on the target prompts
};
// τ chosen on held-out neutral prompts: the smallest threshold with FPR <= max_fpr;
// reports the TPR it buys on the targets.
FprThreshold ThresholdForFpr(const at::Tensor& neutral_scores, const at::Tensor& target_scores,
                             double max_fpr);

// A set of erased concepts: per concept its features; one layer, scale and τ.
// Stored as JSON so concepts can be added or removed without retraining.
struct ConceptRegistry {
  int64_t layer = 2;
  double scale = -8;
  double tau = 0;
  std::map<std::string, std::vector<int64_t>> concepts;

  std::vector<int64_t> UnionFeatures() const;  // sorted, unique
  std::string ToJson() const;
  static absl::StatusOr<ConceptRegistry> FromJson(const std::string& text);
};

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_ITD_H_
