// Training the TopK SAE on residual-stream activations streamed from a CLIP
// text encoder at one layer (ItD spec §2, §4): every token of every prompt,
// batches padded to their longest prompt, b_pre initialised to the geometric
// median of the first activations, MSE scaled by their mean per-element
// variance, Adam with linear warm-up.
#ifndef WARDEN_COMPONENTS_SAE_SAE_TRAIN_H_
#define WARDEN_COMPONENTS_SAE_SAE_TRAIN_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "components/clip/tokenizer.h"
#include "components/sae/sae.h"

namespace warden::sae {

struct SaeTrainConfig {
  int64_t layer = 2;           // residual stream after this encoder layer (0-based)
  int64_t batch_prompts = 50;  // the official code's batch size
  int64_t steps = 300;
  double learning_rate = 1e-3;  // the spec's 1e-4 is for 16k steps; ours are short
  int64_t warmup_steps = 50;
  int64_t init_prompts = 500;  // prompts whose activations initialise b_pre and the MSE scale
};

struct SaeTrainReport {
  std::vector<double> steps, fvu, dead;  // every 10 steps
  double final_fvu = 0;
  int64_t tokens = 0;
  double mse_scale = 0;
  double seconds = 0;
};

// Residual-stream activations [tokens, width] of `prompts` at `layer`, every
// position of the batch (padded to its longest prompt by default), tokenized
// as clip::TokenizeBatch does with `padding` and `context_length` (kToContext
// with the global batch's longest length is how a data-parallel rank pads its
// share as the whole batch would be).
absl::StatusOr<at::Tensor> LayerActivations(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                            const std::vector<std::string>& prompts, int64_t layer,
                                            clip::Padding padding = clip::Padding::kToLongest,
                                            int context_length = clip::kContextLength);

// Trains `sae` (d_model must equal the encoder's width) on `prompts`, cycling
// through them. `progress` gets (step, FVU, dead latents) every 10 steps.
//
// Data parallel with a `collective` (world W): every rank passes the same
// corpus and config; step s's global batch is the same batch_prompts prompts a
// single process would take, rank r runs the encoder on prompts r, r + W, ...
// of it only, padded to the global batch's longest prompt, and TrainStep sums
// over ranks, so the weights equal a one-process run's up to float summation
// order. Rank 0 initialises (parameters, b_pre, MSE scale) and broadcasts.
absl::StatusOr<SaeTrainReport> TrainSaeOnClip(
    TopKSae& sae, clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
    const std::vector<std::string>& prompts, const SaeTrainConfig& config,
    const std::function<void(int64_t, double, int64_t)>& progress = {}, StepCollective* collective = nullptr);

}  // namespace warden::sae

#endif  // WARDEN_COMPONENTS_SAE_SAE_TRAIN_H_
