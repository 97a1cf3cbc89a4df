// The ItD concept filter as a user runs it: a CLIP text encoder with the
// deactivation gate hooked at the registry's layer. Prompts are padded to 77
// tokens as Stable Diffusion 1.x does, so the output is the conditioning a
// text-to-image UNet consumes (diffusers' `prompt_embeds`); prompts whose gate
// score stays below τ get the encoder's output bit for bit.
//
// The registry is held by value and may be changed between calls (AddConcept,
// RemoveConcept): erasing one more concept needs its features only, no
// retraining.
#ifndef WARDEN_COMPONENTS_ITD_FILTER_H_
#define WARDEN_COMPONENTS_ITD_FILTER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "components/clip/tokenizer.h"
#include "components/itd/itd.h"
#include "components/sae/sae.h"

namespace warden::itd {

struct Verdict {
  bool flagged = false;
  double score = 0;  // mean squared change of the layer output under deactivation
  double tau = 0;
  std::vector<std::string> concepts;                 // concepts with a feature active at t >= 1
  std::vector<std::pair<int64_t, double>> features;  // those features and their max code, largest first
};

struct FilterOutput {
  std::vector<Verdict> verdicts;
  at::Tensor last_hidden_state;  // [B, 77, width]: gated and edited conditioning
  at::Tensor input_ids;          // [B, 77]
};

class ConceptFilter {
 public:
  // Checks that the SAE's width matches the encoder and the layer exists.
  static absl::StatusOr<ConceptFilter> Create(clip::ClipTextModel model, const clip::ClipTokenizer* tokenizer,
                                              sae::TopKSae sae, ConceptRegistry registry);

  absl::StatusOr<FilterOutput> Run(const std::vector<std::string>& prompts);
  // The same on token ids [B, T] (each row BOS … EOS, padded with EOS).
  absl::StatusOr<FilterOutput> RunIds(const at::Tensor& ids);

  ConceptRegistry& registry() { return registry_; }
  clip::ClipTextModel& model() { return model_; }
  sae::TopKSae& sae() { return sae_; }
  const clip::ClipTokenizer& tokenizer() const { return *tokenizer_; }

 private:
  ConceptFilter(clip::ClipTextModel model, const clip::ClipTokenizer* tokenizer, sae::TopKSae sae,
                ConceptRegistry registry)
      : model_(std::move(model)), tokenizer_(tokenizer), sae_(std::move(sae)), registry_(std::move(registry)) {}

  clip::ClipTextModel model_;
  const clip::ClipTokenizer* tokenizer_;
  sae::TopKSae sae_;
  ConceptRegistry registry_;
};

// Interpretation: for each feature, the tokens and prompts of a corpus on
// which it fires hardest (max code over a token's occurrences / a prompt's
// positions 1..EOS).
struct FeatureExamples {
  int64_t feature = 0;
  std::vector<std::pair<std::string, double>> tokens;   // token text, max code
  std::vector<std::pair<std::string, double>> prompts;  // prompt, max code
  int64_t firing_prompts = 0;                           // prompts where it fires at all
};
absl::StatusOr<std::vector<FeatureExamples>> InterpretFeatures(
    clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae, int64_t layer,
    const std::vector<int64_t>& features, const std::vector<std::string>& corpus, int64_t top_n);

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_FILTER_H_
