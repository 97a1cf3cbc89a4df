#include "components/itd/registry_builder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "components/status/status_macros.h"

namespace warden::itd {

absl::StatusOr<TauMode> ParseTauMode(const std::string& name) {
  if (name == "paper") return TauMode::kPaper;
  if (name == "fpr") return TauMode::kFpr;
  return absl::InvalidArgumentError(absl::StrCat("tau mode must be paper or fpr, not \"", name, "\""));
}

absl::StatusOr<BuiltRegistry> BuildRegistry(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                            sae::TopKSae& sae, const RegistryRequest& request,
                                            const ProgressFn& progress) {
  const auto report = [&](const std::string& message, bool done) {
    if (progress) progress(message, done);
  };
  if (request.concepts.empty()) return absl::InvalidArgumentError("no concept to select features for");
  if (request.tau == TauMode::kFpr && request.calibration.empty()) {
    return absl::InvalidArgumentError("an FPR-calibrated tau needs calibration prompts");
  }
  BuiltRegistry built;
  ConceptRegistry& registry = built.registry;
  if (request.base) {
    registry = *request.base;
  } else {
    registry.layer = request.layer;
    registry.scale = request.scale;
    registry.score = request.score;
  }
  report(absl::StrFormat("encoding %d retain prompts", request.retain.size()), false);
  WARDEN_ASSIGN_OR_RETURN(
      const ConceptSelector selector,
      ConceptSelector::Create(model, tokenizer, sae, registry.layer, request.retain, request.selection));
  std::vector<std::string> all_targets;
  size_t done = 0;
  for (const auto& [name, prompts] : request.concepts) {
    report(absl::StrFormat("selecting %d/%d: %s", ++done, request.concepts.size(), name), false);
    WARDEN_ASSIGN_OR_RETURN(const std::vector<int64_t> features, selector.SelectFor(prompts));
    if (features.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("no feature of the SAE singles out \"", name,
                       "\" against the retain prompts (try another selection or K)"));
    }
    registry.concepts[name] = features;
    all_targets.insert(all_targets.end(), prompts.begin(), prompts.end());
  }
  report("selection done", true);
  const std::vector<int64_t> features = registry.UnionFeatures();
  WARDEN_ASSIGN_OR_RETURN(const at::Tensor target_scores,
                          Scores(model, tokenizer, sae, registry.layer, features, registry.scale, all_targets,
                                 clip::Padding::kToContext, registry.score));
  double tau = PaperThreshold(target_scores);
  if (request.tau == TauMode::kFpr) {
    WARDEN_ASSIGN_OR_RETURN(const at::Tensor neutral_scores,
                            Scores(model, tokenizer, sae, registry.layer, features, registry.scale,
                                   request.calibration, clip::Padding::kToContext, registry.score));
    built.calibration = ThresholdForFpr(neutral_scores, target_scores, request.max_fpr);
    tau = built.calibration->tau;
  }
  registry.tau = request.base ? std::min(request.base->tau, tau) : tau;
  return built;
}

absl::StatusOr<FamilyConcepts> MakeFamilyConcepts(Family family, int64_t targets, uint64_t seed,
                                                  bool retain_names) {
  absl::StatusOr<FamilySplit> split = MakeFamilySplit(family, targets, 100, seed);
  if (!split.ok()) return split.status();
  FamilyConcepts out;
  for (const std::string& t : split->targets) {
    out.concepts.push_back({FamilyName(family) + ":" + t, Fill(split->selection_templates, {t})});
  }
  if (retain_names) out.retained_prompts = Fill(split->selection_templates, split->retained);
  return out;
}

}  // namespace warden::itd
