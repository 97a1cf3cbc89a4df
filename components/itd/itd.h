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
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "components/clip/tokenizer.h"
#include "components/itd/gate_core.h"
#include "components/sae/sae.h"

namespace warden::itd {

// The K latents with the largest code over positions 1..T-1 of one prompt's
// activations h [T, d] (row 0, BOS, skipped), among those with a positive
// code: fewer than K when fewer fire.
std::vector<int64_t> TopLatents(sae::TopKSae& sae, const at::Tensor& h, int64_t k);
// The same over positions [begin, end) only.
std::vector<int64_t> SpanTopLatents(sae::TopKSae& sae, const at::Tensor& h, int64_t begin, int64_t end,
                                    int64_t k);

// A name in a template ("%" marks it): a prompt whose name tokens are known.
struct NamedPrompt {
  std::string templ, name;
  std::string Text() const;  // the filled prompt
};
// Every name in every template, name-major (as itd_data.h's Fill).
std::vector<NamedPrompt> FillNamed(const std::vector<std::string>& templates,
                                   const std::vector<std::string>& names);
// The name's tokens in the filled prompt, as positions of its token sequence
// with BOS at 0: [begin, end).
struct NameSpan {
  int64_t begin = 0, end = 0;
};
// InvalidArgument when the template has no "%", the name does not tokenize on
// its own there (letters glued to "%"), or the prompt overflows the context.
absl::StatusOr<NameSpan> FindNameSpan(const clip::ClipTokenizer& tokenizer, const std::string& templ,
                                      const std::string& name);

// Top_K(p) of one prompt, tokenized alone (no padding).
absl::StatusOr<std::vector<int64_t>> PromptTopLatents(clip::ClipTextModel& model,
                                                      const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae,
                                                      int64_t layer, const std::string& prompt, int64_t k);

// G = ∪_{retains} Top_K(r): computed once, it serves every concept selected against it.
absl::StatusOr<std::set<int64_t>> RetainedLatents(clip::ClipTextModel& model,
                                                  const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae,
                                                  int64_t layer, const std::vector<std::string>& retains,
                                                  int64_t k);

// Contrastive selection (spec §5): F = ∪_{targets} Top_K(p) \ G. Each prompt is
// encoded alone (no padding).
absl::StatusOr<std::vector<int64_t>> SelectConceptFeatures(
    clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae, int64_t layer,
    const std::vector<std::string>& targets, const std::vector<std::string>& retains, int64_t k);

// Ours, for small SAEs: their top-K latents are shared by most prompts (dense,
// template- or position-like features), so the paper's contrast leaves nothing.
// Instead, by firing (a nonzero top-k code at some position >= 1):
//   F = the (up to) K latents with the highest firing rate on the targets, among
//       those firing on at least `min_target_rate` of the targets and on at most
//       `max_retain_rate` of the retain prompts (ties: lower retain rate, then id).
//
// Name spans (issue 19; top-K only): a named prompt's Top_K is taken over the
// name's tokens only (FindNameSpan), not the template's, and retained names
// join G by their name spans too; other retain prompts (neutral ones) count
// over all their positions. Template and position latents then never become
// candidates, and a latent that fires on other people's names is removed.
struct SelectionConfig {
  bool by_firing = false;         // false: the paper's contrastive top-K
  bool name_span = false;         // top-K over the name's tokens (see above)
  int64_t k = 64;                 // K of Top_K; by firing: the most features per concept
  double min_target_rate = 0.5;   // by firing only
  double max_retain_rate = 0.01;  // by firing only
};
// Latents firing on one prompt (tokenized alone, BOS skipped), sorted.
absl::StatusOr<std::vector<int64_t>> PromptFiringLatents(clip::ClipTextModel& model,
                                                         const clip::ClipTokenizer& tokenizer,
                                                         sae::TopKSae& sae, int64_t layer,
                                                         const std::string& prompt);
// Per latent, the fraction of `prompts` it fires on (n_latents entries).
absl::StatusOr<std::vector<double>> FiringRates(clip::ClipTextModel& model,
                                                const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae,
                                                int64_t layer, const std::vector<std::string>& prompts);
// F from the targets' firing sets and the retain prompts' rates (see above).
std::vector<int64_t> SelectByFiring(const std::vector<std::vector<int64_t>>& target_firing,
                                    const std::vector<double>& retain_rates, const SelectionConfig& config);

// Selection of many concepts against one retain set, either way: the retain
// set's statistic (G, or the firing rates) is computed once, in Create.
class ConceptSelector {
 public:
  // The model, tokenizer and SAE must outlive the selector.
  // `retained_names` join the retain set: by their name spans with
  // config.name_span, else as whole prompts.
  static absl::StatusOr<ConceptSelector> Create(clip::ClipTextModel& model,
                                                const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae,
                                                int64_t layer, const std::vector<std::string>& retains,
                                                const SelectionConfig& config,
                                                const std::vector<NamedPrompt>& retained_names = {});
  // One prompt's Top_K latents, or the latents firing on it.
  absl::StatusOr<std::vector<int64_t>> PromptLatents(const std::string& prompt) const;
  // The same for a named prompt: over its name span with config.name_span.
  absl::StatusOr<std::vector<int64_t>> NamedLatents(const NamedPrompt& prompt) const;
  // F of one concept from its prompts' PromptLatents.
  std::vector<int64_t> Select(const std::vector<std::vector<int64_t>>& prompt_latents) const;
  // Both: F of one concept from its prompts.
  absl::StatusOr<std::vector<int64_t>> SelectFor(const std::vector<std::string>& prompts) const;

 private:
  ConceptSelector(clip::ClipTextModel* model, const clip::ClipTokenizer* tokenizer, sae::TopKSae* sae,
                  int64_t layer, SelectionConfig config)
      : model_(model), tokenizer_(tokenizer), sae_(sae), layer_(layer), config_(config) {}
  clip::ClipTextModel* model_;
  const clip::ClipTokenizer* tokenizer_;
  sae::TopKSae* sae_;
  int64_t layer_;
  SelectionConfig config_;
  std::set<int64_t> retained_;        // top-K: G
  std::vector<double> retain_rates_;  // by firing: per latent
};

// ScoreMode (what the gate's score measures) is in gate_core.h, the portable gate.
absl::StatusOr<ScoreMode> ParseScoreMode(const std::string& name);  // "paper" or "concept"

struct Deactivation {
  at::Tensor output;   // [B, T, d]: h' for flagged prompts, h (bit-exact) for the rest
  at::Tensor scores;   // [B]: mean squared change h' − h
  at::Tensor flagged;  // [B] bool: score >= tau
};

// Applies deactivation of `features` with scale `s` and threshold `tau` to a
// layer output h [B, T, d].
Deactivation Deactivate(sae::TopKSae& sae, const at::Tensor& h, const std::vector<int64_t>& features,
                        double scale, double tau, ScoreMode mode = ScoreMode::kPaper);

// The same from the SAE's top-k code of h (values, indices: [B, T, k]), which
// does not depend on the features: evaluation encodes once and re-scores.
Deactivation DeactivateEncoded(sae::TopKSae& sae, const at::Tensor& h, const at::Tensor& values,
                               const at::Tensor& indices, const std::vector<int64_t>& features, double scale,
                               double tau, ScoreMode mode = ScoreMode::kPaper);

// Scores (no thresholding) of `prompts` as one batch. The score averages over
// every position, padding included, so τ holds for one padding regime only:
// ours is Stable Diffusion's 77-token padding (kToContext) throughout; the
// official code pads to the batch's longest prompt (kToLongest).
absl::StatusOr<at::Tensor> Scores(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                  sae::TopKSae& sae, int64_t layer, const std::vector<int64_t>& features,
                                  double scale, const std::vector<std::string>& prompts,
                                  clip::Padding padding = clip::Padding::kToContext,
                                  ScoreMode mode = ScoreMode::kPaper);

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
  ScoreMode score = ScoreMode::kPaper;  // JSON "score": "paper" (default) or "concept"
  std::map<std::string, std::vector<int64_t>> concepts;

  std::vector<int64_t> UnionFeatures() const;  // sorted, unique
  std::string ToJson() const;
  static absl::StatusOr<ConceptRegistry> FromJson(const std::string& text);
};

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_ITD_H_
