#include "components/itd/gate_core.h"

#include <algorithm>
#include <unordered_map>

namespace warden::itd {

std::string ScoreModeName(ScoreMode mode) { return mode == ScoreMode::kPaper ? "paper" : "concept"; }

bool ScoreModeFromName(const std::string& name, ScoreMode* mode) {
  if (name == "paper") {
    *mode = ScoreMode::kPaper;
  } else if (name == "concept") {
    *mode = ScoreMode::kConcept;
  } else {
    return false;
  }
  return true;
}

std::string ValidateGate(const sae::SaeWeights& weights, int tokens, const GateConfig& config) {
  if (std::string error = weights.Validate(); !error.empty()) return error;
  if (tokens < 1) return "a prompt needs at least one token (BOS)";
  if (config.k < 1 || config.k > weights.n_latents) {
    return "k = " + std::to_string(config.k) + " outside [1, " + std::to_string(weights.n_latents) + "]";
  }
  for (int32_t j : config.features) {
    if (j < 0 || j >= weights.n_latents) {
      return "concept feature " + std::to_string(j) + " outside [0, " + std::to_string(weights.n_latents) +
             ")";
    }
  }
  return "";
}

GateResult ScorePrompt(const sae::SaeWeights& weights, const float* h, int tokens, const GateConfig& config) {
  const int d = weights.d_model;
  std::vector<char> is_feature(weights.n_latents, 0);
  for (int32_t j : config.features) is_feature[j] = 1;

  std::unordered_map<int32_t, float> fired;
  std::vector<float> diff(d);
  double sum = 0;
  const std::vector<sae::SparseCode> codes = sae::EncodeTopKBatch(weights, h, tokens, config.k);
  for (int t = 0; t < tokens; ++t) {
    const float* row = h + static_cast<size_t>(t) * d;
    const sae::SparseCode& code = codes[t];
    // kPaper: diff = Σ z' d_j + b_pre − h; kConcept: diff = Σ_{hit} (s − 1) z d_j.
    if (config.mode == ScoreMode::kPaper) {
      for (int i = 0; i < d; ++i) diff[i] = weights.b_pre[i] - row[i];
    } else {
      std::fill(diff.begin(), diff.end(), 0.0f);
    }
    for (size_t n = 0; n < code.indices.size(); ++n) {
      const int32_t j = code.indices[n];
      const float z = code.values[n];
      const bool hit = t >= 1 && is_feature[j];
      if (hit && z > 0) {
        float& best = fired[j];
        best = std::max(best, z);
      }
      float coefficient;
      if (config.mode == ScoreMode::kPaper) {
        coefficient = hit ? z * config.scale : z;
      } else {
        if (!hit) continue;
        coefficient = z * config.scale - z;
      }
      if (coefficient == 0) continue;
      const float* direction = weights.w_dec.data() + static_cast<size_t>(j) * d;
      for (int i = 0; i < d; ++i) diff[i] += coefficient * direction[i];
    }
    for (int i = 0; i < d; ++i) sum += static_cast<double>(diff[i]) * diff[i];
  }
  GateResult result;
  result.score = static_cast<float>(sum / (static_cast<double>(tokens) * d));
  result.flagged = result.score >= config.tau;
  for (const auto& [feature, value] : fired) result.fired.push_back({feature, value});
  std::sort(result.fired.begin(), result.fired.end(), [](const FiredFeature& a, const FiredFeature& b) {
    return a.max_value != b.max_value ? a.max_value > b.max_value : a.feature < b.feature;
  });
  return result;
}

}  // namespace warden::itd
