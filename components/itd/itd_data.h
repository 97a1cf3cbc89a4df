// The prompt sets of the ItD evaluation (issue: data), built from the offline
// packages tools/setup installs: celebrity and artist names (npm prompt-lists),
// unsafe terms (npm naughty-words) and neutral prompts (PartiPrompts and
// describe-subject).
//
// Each family's names are shuffled with a seed and split into targets (the
// concepts to erase) and retained names (for specificity). Templates are split
// too: features are selected and τ is calibrated on selection templates only;
// TPR is measured on held-out templates, and the adversarial suite adds
// paraphrase templates no stage has seen. Neutral prompts are split by a hash
// of their text into a calibration half (for the FPR-calibrated τ) and a test
// half. Everything is deterministic in the seed.
#ifndef WARDEN_COMPONENTS_ITD_ITD_DATA_H_
#define WARDEN_COMPONENTS_ITD_ITD_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::itd {

enum class Family { kCelebrity, kArtist, kUnsafe };

absl::StatusOr<Family> ParseFamily(const std::string& name);  // "celebrity", "artist", "unsafe"
std::string FamilyName(Family family);

struct FamilySplit {
  Family family = Family::kCelebrity;
  std::vector<std::string> targets;              // concept names to erase
  std::vector<std::string> retained;             // same-family names kept (empty for unsafe)
  std::vector<std::string> selection_templates;  // "%" marks the name
  std::vector<std::string> heldout_templates;
  std::vector<std::string> paraphrase_templates;  // adversarial: unseen phrasings
};

// Every name of `family` (distinct), shuffled by `seed`: the order splits draw from.
absl::StatusOr<std::vector<std::string>> FamilyNames(Family family, uint64_t seed);

// `n_targets` targets and up to `n_retained` retained names of `family`,
// disjoint, chosen by `seed`.
absl::StatusOr<FamilySplit> MakeFamilySplit(Family family, int64_t n_targets, int64_t n_retained,
                                            uint64_t seed);

// Every name in every template, name-major: names[0] in each template, then names[1], …
std::vector<std::string> Fill(const std::vector<std::string>& templates,
                              const std::vector<std::string>& names);

struct NeutralSplit {
  std::vector<std::string> calibration;  // for the FPR-calibrated τ
  std::vector<std::string> test;         // for the reported FPR
};
// Neutral prompts (describe-subject and PartiPrompts) split by a hash of the
// text; each half capped at `per_half` (shuffled with `seed`).
absl::StatusOr<NeutralSplit> MakeNeutralSplit(int64_t per_half, uint64_t seed);

// The ItD SAE's training corpus: the encoder's pre-training prompts plus
// unsafe terms in templates (so the SAE has latents for them), shuffled.
absl::StatusOr<std::vector<std::string>> SaeCorpus(uint64_t seed);

// Adversarial spellings of a name, deterministic in `seed`:
// a misspelling (swap two adjacent letters, drop or double one, or replace a
// vowel) of one word of the name; and a character insertion ("-", ".", "_" or
// a space inside one word).
std::string Misspell(const std::string& name, uint64_t seed);
std::string InsertCharacter(const std::string& name, uint64_t seed);

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_ITD_DATA_H_
