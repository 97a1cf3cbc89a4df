// The ItD gate on one prompt, portable: C++17 standard library only, so the
// browser demo (web/itd) scores prompts with the same code as the native build.
//
// For a prompt's layer output h [T, d] (position 0 = BOS): z_t = top-k code of
// h_t; z'_{t,j} = s·z_{t,j} for concept features j ∈ F at t ≥ 1; the score is
// the mean over (t, dims) of
//   kPaper:   (h'_t − h_t)²,  h'_t = Σ_j z'_{t,j} d_j + b_pre
//   kConcept: (h'_t − ĥ_t)² = ((s − 1) Σ_{j∈F} z_{t,j} d_j)²
// and the prompt is flagged when score ≥ τ, both compared as float32 (as the
// LibTorch gate, components/itd/itd.h: Deactivate, compares float32 scores).
#ifndef WARDEN_COMPONENTS_ITD_GATE_CORE_H_
#define WARDEN_COMPONENTS_ITD_GATE_CORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "components/sae/sae_core.h"

namespace warden::itd {

// What the gate's score measures (see the file comment).
enum class ScoreMode {
  kPaper,    // mean (h' − h)²: the official code; includes the SAE's own reconstruction error
  kConcept,  // mean (h' − ĥ)²: only the concept features' share, so prompts where no concept
             // feature fires score 0 (ours; for small SAEs whose reconstruction error is as
             // large as the concept signal)
};

// "paper" / "concept", both ways. ScoreModeFromName returns false for any
// other name (itd.h's ParseScoreMode turns that into a Status).
std::string ScoreModeName(ScoreMode mode);
bool ScoreModeFromName(const std::string& name, ScoreMode* mode);

struct GateConfig {
  int k = 32;                     // the SAE's top-k
  std::vector<int32_t> features;  // F (any order; duplicates ignored)
  float scale = -8;               // s
  float tau = 0;                  // τ
  ScoreMode mode = ScoreMode::kPaper;
};

struct FiredFeature {
  int32_t feature = 0;
  float max_value = 0;  // largest z_{t,j} over t ≥ 1
};

struct GateResult {
  float score = 0;
  bool flagged = false;
  std::vector<FiredFeature> fired;  // concept features with z > 0 at some t ≥ 1, largest first
};

// "" if `h` (tokens × d_model floats) and `config` fit `weights`, else what is wrong.
std::string ValidateGate(const sae::SaeWeights& weights, int tokens, const GateConfig& config);

// The gate on one prompt's layer output h (tokens × d_model, row-major).
// Call ValidateGate first: inputs that do not fit are not checked here.
GateResult ScorePrompt(const sae::SaeWeights& weights, const float* h, int tokens, const GateConfig& config);

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_GATE_CORE_H_
