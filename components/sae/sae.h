// The TopK sparse autoencoder of ItD (spec §3–§4) in LibTorch: encode/decode,
// the training step with scaled MSE plus the AuxK dead-latent loss, the
// decoder constraint (unit-norm directions, parallel gradient projected out),
// geometric-median initialisation of b_pre, and safetensors I/O shared with the
// portable core (sae_core.h).
#ifndef WARDEN_COMPONENTS_SAE_SAE_H_
#define WARDEN_COMPONENTS_SAE_SAE_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/optimizer.h>

#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "components/sae/sae_core.h"

namespace warden::sae {

struct SaeConfig {
  int64_t d_model = 256;
  int64_t n_latents = 4096;
  int64_t k = 32;
  int64_t auxk = 256;  // AuxK: top entries among dead latents
  double auxk_coef = 1.0 / 32;
  int64_t dead_steps = 200;      // a latent is dead after this many steps without firing
  double fire_threshold = 1e-3;  // a kept value above this counts as firing
};

class TopKSaeImpl : public torch::nn::Module {
 public:
  explicit TopKSaeImpl(const SaeConfig& config);

  struct Encoded {
    at::Tensor values;   // [N, k], ReLU'd
    at::Tensor indices;  // [N, k]
    at::Tensor pre;      // [N, n_latents] pre-activations u, without grad; only with grad mode
                         // on (AuxK reads them): inference folds the biases into the top-k scan
  };
  // h: [N, d_model]. With grad mode on, the sparse backward: a no-grad dense
  // GEMM picks the top-k, then only the selected latents are recomputed
  // differentiably (PreactivationsAt), so the backward costs N·k·d, not N·n·d.
  Encoded Encode(const at::Tensor& h);
  // Differentiable pre-activations u = (h − b_pre)·W_enc[i] + b_lat[i] at the
  // latents `indices` [N, m] only: [N, m]; gradients reach only those rows.
  at::Tensor PreactivationsAt(const at::Tensor& h, const at::Tensor& indices);
  at::Tensor Decode(const at::Tensor& values, const at::Tensor& indices, bool add_bias = true);
  // Dense codes [N, n_latents] (zeros outside the top-k).
  at::Tensor DenseCode(const Encoded& e) const;

  // Makes decoder rows unit-norm and removes from their gradients the
  // component parallel to each row (call after backward, before the step).
  void ConstrainDecoder();

  const SaeConfig& config() const { return config_; }
  at::Tensor w_enc, w_dec, b_pre, b_lat;  // [n, d], [n, d], [d], [n]
  at::Tensor steps_since_fired;           // [n], not a parameter

 private:
  // b_lat − W_enc b_pre, recomputed when a parameter has changed (tensor versions).
  const at::Tensor& FoldedBias();

  SaeConfig config_;
  at::Tensor folded_bias_;
  std::array<int64_t, 3> folded_versions_ = {-1, -1, -1};
};
TORCH_MODULE(TopKSae);

// The geometric median of the rows of x (Weiszfeld, <= 100 iterations, eps 1e-6).
at::Tensor GeometricMedian(const at::Tensor& x);

struct StepLosses {
  int64_t tokens = 0;  // activations in the (global) batch
  double mse = 0;      // mean squared reconstruction error
  double scaled = 0;   // mse_scale * mse (the main loss)
  double auxk = 0;     // AuxK NMSE (0 while no latent is dead)
  double fvu = 0;      // fraction of variance unexplained
  int64_t dead = 0;    // latents currently dead
};

// Sums across data-parallel ranks, so that TrainStep on each rank's share of
// a global batch takes the step one process takes on the whole batch. Over
// c10d in distributed/sae/data_parallel.h; the step is written against this
// interface so the SAE component stays below distributed/.
class StepCollective {
 public:
  virtual ~StepCollective() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  // Sums a contiguous CPU tensor across ranks, in place.
  virtual absl::Status SumInPlace(at::Tensor& t) = 0;
  // Overwrites a contiguous CPU tensor with rank 0's values.
  virtual absl::Status BroadcastFromRoot(at::Tensor& t) = 0;
};

// One training step on activations h [N, d]: loss = mse_scale · MSE + auxk_coef · AuxK;
// backward, decoder constraint, optimizer step; updates the dead-latent counters.
// With a `collective`, h is this rank's share of the global batch: the means,
// the variances, the dead-latent counters and the gradients are all global
// (three all-reduces: batch statistics; which latents any rank selected; the
// gradient rows of those latents, the only non-zero ones), so every rank takes
// the same step as one process on the concatenated batch.
StepLosses TrainStep(TopKSae& sae, torch::optim::Optimizer& optimizer, const at::Tensor& h, double mse_scale);
absl::StatusOr<StepLosses> TrainStep(TopKSae& sae, torch::optim::Optimizer& optimizer, const at::Tensor& h,
                                     double mse_scale, StepCollective* collective);

// Portable weights of a trained SAE (CPU float copies).
SaeWeights ToPortable(TopKSae& sae);

// Safetensors with tensors w_enc, w_dec, b_pre, b_lat and the config in
// metadata; `half` stores them as F16 (LoadSae reads any float dtype).
absl::Status SaveSae(TopKSae& sae, const std::string& path, bool half = false);
absl::StatusOr<TopKSae> LoadSae(const std::string& path);

}  // namespace warden::sae

#endif  // WARDEN_COMPONENTS_SAE_SAE_H_
