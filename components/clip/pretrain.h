// Pre-training a compact CLIP-architecture text encoder with a next-token
// objective on the offline prompt corpora (no CLIP weights can be had here).
// The output head is the token embedding, tied; the loss is a sampled softmax
// over the batch's targets plus random negatives; evaluation uses the full
// vocabulary.
#ifndef WARDEN_COMPONENTS_CLIP_PRETRAIN_H_
#define WARDEN_COMPONENTS_CLIP_PRETRAIN_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "components/clip/tokenizer.h"

namespace warden::clip {

// The pre-training prompts: celebrity and artist names in templates, PartiPrompts,
// a sample of neutral captions and of (at most 160-character) State of the
// Union sentences. Shuffled with `seed`.
absl::StatusOr<std::vector<std::string>> PretrainCorpus(uint64_t seed, int64_t captions = 40000,
                                                        int64_t sentences = 40000);

struct PretrainConfig {
  // 4 layers of width 256 (MLP 512): 11.6M parameters, 29.5 MB in F16, most
  // of it the 49,408 × 256 token embedding of CLIP's real vocabulary.
  int64_t layers = 4, width = 256, heads = 4, intermediate = 512;
  int64_t batch = 64;
  double learning_rate = 1e-3;
  int64_t warmup_steps = 200;
  double minutes = 10;       // wall-clock budget
  int64_t max_steps = -1;    // > 0: stop after this many steps
  int64_t negatives = 2048;  // random negatives per step in the sampled softmax
  double heldout_fraction = 0.02;
  uint64_t seed = 0;
};

struct PretrainReport {
  std::vector<double> steps, losses;  // training loss every 25 steps
  int64_t train_prompts = 0, heldout_prompts = 0, tokens_seen = 0, steps_done = 0;
  double heldout_accuracy = 0;        // next-token top-1 over the full vocabulary
  double heldout_top5 = 0;
  double unigram_accuracy = 0;        // always predicting the most frequent training token
  double seconds = 0;
};

ClipTextConfig PretrainModelConfig(const PretrainConfig& config);

// Trains `model` (built from PretrainModelConfig) on `prompts`. `progress`
// gets (step, loss, elapsed seconds) every 25 steps.
absl::StatusOr<PretrainReport> PretrainNextToken(
    ClipTextModel& model, const ClipTokenizer& tokenizer, const std::vector<std::string>& prompts,
    const PretrainConfig& config,
    const std::function<void(int64_t, double, double)>& progress = {});

// Next-token accuracy of `model` on `prompts` (top-1, top-5, tokens counted).
struct NextTokenAccuracy {
  double top1 = 0, top5 = 0;
  int64_t tokens = 0;
};
NextTokenAccuracy EvaluateNextToken(ClipTextModel& model, const ClipTokenizer& tokenizer,
                                    const std::vector<std::string>& prompts);

// The top `k` next tokens after `prompt` (without EOS), most likely first.
std::vector<std::pair<std::string, double>> PredictNextTokens(ClipTextModel& model,
                                                              const ClipTokenizer& tokenizer,
                                                              const std::string& prompt, int k);

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_PRETRAIN_H_
