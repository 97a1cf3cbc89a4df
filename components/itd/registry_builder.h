// Building a concept registry (ItD §3.2 and §3.3): each concept's features
// selected against one retain set (ConceptSelector), their union, and the
// gate's threshold τ, either the paper's (0.99 × the smallest target score)
// or calibrated to a neutral false-positive bound (ours). A registry can be
// extended: new concepts join, and τ becomes the smaller of the two.
#ifndef WARDEN_COMPONENTS_ITD_REGISTRY_BUILDER_H_
#define WARDEN_COMPONENTS_ITD_REGISTRY_BUILDER_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "components/clip/vocab.h"
#include "components/itd/itd.h"
#include "components/itd/itd_data.h"
#include "components/sae/sae.h"

namespace warden::itd {

enum class TauMode { kPaper, kFpr };
absl::StatusOr<TauMode> ParseTauMode(const std::string& name);  // "paper" or "fpr"

// One concept: its name and the prompts that express it.
using ConceptPrompts = std::pair<std::string, std::vector<std::string>>;

struct RegistryRequest {
  std::vector<ConceptPrompts> concepts;
  std::vector<std::string> retain;       // prompts whose features must survive
  std::vector<std::string> calibration;  // neutral prompts, for TauMode::kFpr
  SelectionConfig selection;
  int64_t layer = 2;
  double scale = -8;
  ScoreMode score = ScoreMode::kPaper;
  TauMode tau = TauMode::kPaper;
  double max_fpr = 0.01;
  std::optional<ConceptRegistry> base;  // extend this registry (its layer, scale and score win)
};

struct BuiltRegistry {
  ConceptRegistry registry;
  std::optional<FprThreshold> calibration;  // with TauMode::kFpr: the new τ's FPR and TPR
};

// Progress lines for long work: (message, done).
using ProgressFn = std::function<void(const std::string&, bool)>;

// FailedPrecondition when no feature singles out some concept.
absl::StatusOr<BuiltRegistry> BuildRegistry(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                            sae::TopKSae& sae, const RegistryRequest& request,
                                            const ProgressFn& progress = nullptr);

// The targets of a family as concepts ("family:name" → its selection
// templates filled with the name), and, with `retain_names`, the retained
// names' prompts for the retain set.
struct FamilyConcepts {
  std::vector<ConceptPrompts> concepts;
  std::vector<std::string> retained_prompts;
};
absl::StatusOr<FamilyConcepts> MakeFamilyConcepts(Family family, int64_t targets, uint64_t seed,
                                                  bool retain_names);

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_REGISTRY_BUILDER_H_
