// A small GPT-style Mixture-of-Experts language model for the Lazarus runtime
// (spec §1, §4): byte-level tokens, pre-LN blocks of causal self-attention and
// an MoE feed-forward layer in every block, top-1 or top-2 gating.
//
// Dense parameters (embeddings, attention, gates, norms) live in the module and
// are data-parallel. Experts are plain tensors keyed by (layer, expert) so a
// worker can hold any subset of them (its replicas) and ship them (with their
// Adam state) to another worker. How routed tokens reach the experts is an
// ExpertRunner: all local in one process (the reference), or the flexible
// dispatcher over a c10d process group (dispatch.h).
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_MOE_MODEL_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_MOE_MODEL_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "distributed/lazarus/runtime/messages.h"

namespace warden::lazarus {

struct MoeConfig {
  int64_t vocab = 256;  // bytes
  int64_t context = 32;
  int64_t width = 32;
  int64_t heads = 2;
  int64_t layers = 2;  // every layer is MoE
  int64_t experts = 8;
  int64_t expert_hidden = 64;
  int64_t top_k = 1;     // 1 or 2
  double gate_skew = 0;  // fixed logit bias skew·(1 − e/(E−1)): routing skewed towards low experts
};

// One expert: y = W2 gelu(W1 x + b1) + b2.
struct Expert {
  at::Tensor w1, b1, w2, b2;  // [h, d], [h], [d, h], [d]
  std::vector<at::Tensor> Tensors() const { return {w1, b1, w2, b2}; }
  at::Tensor Forward(const at::Tensor& x) const;
};
// Drawn on the CPU from the expert's own stream (identical on every rank and
// device), then moved to `device`.
Expert InitExpert(const MoeConfig& config, uint64_t seed, int64_t layer, int64_t expert,
                  at::Device device = at::kCPU);

// Runs routed rows through experts: rows [A, d] with expert ids [A]; returns [A, d].
class ExpertRunner {
 public:
  virtual ~ExpertRunner() = default;
  virtual at::Tensor Run(int64_t layer, const at::Tensor& rows, const at::Tensor& expert_ids) = 0;
};

// Every expert in this process.
class LocalExperts : public ExpertRunner {
 public:
  explicit LocalExperts(std::map<ExpertKey, Expert>* experts) : experts_(experts) {}
  at::Tensor Run(int64_t layer, const at::Tensor& rows, const at::Tensor& expert_ids) override;

 private:
  std::map<ExpertKey, Expert>* experts_;
};

class MoeGptImpl : public torch::nn::Module {
 public:
  // Dense parameters initialised from `seed` (the same on every rank).
  MoeGptImpl(const MoeConfig& config, uint64_t seed);

  // Mean next-token cross-entropy × (tokens / loss_denominator), i.e. the
  // summed token losses over `loss_denominator`: a rank passes the global token
  // count so that the ranks' losses (and gradients) add up to the global mean.
  // tokens: [B, T+1] bytes; routing counts per layer and expert are added to
  // `expert_load` when given ([layers, experts] int64).
  at::Tensor Loss(const at::Tensor& tokens, ExpertRunner& runner, double loss_denominator,
                  at::Tensor* expert_load = nullptr);

  const MoeConfig& config() const { return config_; }

  // Routing near-ties of the last Loss call: the smallest gap, over layers and
  // tokens, between the k-th and (k+1)-th largest gate logit (a 0-dim tensor
  // on the model's device; +inf with one expert). Float rounding of order
  // 1e-7 (a different all-reduce order, as after a reconfiguration) can flip
  // a token whose gap is that small to another expert, so two runs that are
  // equal up to rounding may then diverge by a whole token's gradient.
  const at::Tensor& last_gate_margin() const { return gate_margin_; }

 private:
  at::Tensor Block(int64_t layer, const at::Tensor& x, ExpertRunner& runner, at::Tensor* expert_load);

  MoeConfig config_;
  torch::nn::Embedding token_{nullptr}, position_{nullptr};
  std::vector<torch::nn::LayerNorm> ln1_, ln2_;
  std::vector<torch::nn::Linear> qkv_, proj_, gate_;
  torch::nn::LayerNorm final_{nullptr};
  at::Tensor gate_margin_;
};
TORCH_MODULE(MoeGpt);

// Fresh experts (every layer and expert) for `seed`.
std::map<ExpertKey, Expert> InitAllExperts(const MoeConfig& config, uint64_t seed);

// Training text as bytes: SOTU sentences joined; deterministic batches by
// global index: step s takes sequences [s·B, (s+1)·B) of the corpus (wrapping),
// each `context + 1` bytes, and a rank of `world` takes its contiguous share.
class ByteCorpus {
 public:
  explicit ByteCorpus(std::string text) : text_(std::move(text)) {}
  // [rows, context + 1] int64 for global rows [first, first + rows).
  at::Tensor Rows(int64_t first, int64_t rows, int64_t context) const;
  size_t size() const { return text_.size(); }

 private:
  std::string text_;
};
// This rank's rows of step `step`: [begin, end) of the global batch.
std::pair<int64_t, int64_t> ShardOf(int64_t global_batch, int rank, int world);

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_MOE_MODEL_H_
