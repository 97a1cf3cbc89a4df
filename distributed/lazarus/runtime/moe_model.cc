#include "distributed/lazarus/runtime/moe_model.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "components/tensor/seed.h"

namespace warden::lazarus {

at::Tensor Expert::Forward(const at::Tensor& x) const {
  return at::linear(at::gelu(at::linear(x, w1, b1)), w2, b2);
}

Expert InitExpert(const MoeConfig& config, uint64_t seed, int64_t layer, int64_t expert, at::Device device) {
  // Each expert's own stream: the same weights whichever rank creates it.
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(tensor::StreamSeed(
      tensor::StreamSeed(seed, 1000 + static_cast<uint64_t>(layer)), static_cast<uint64_t>(expert)));
  const int64_t d = config.width, h = config.expert_hidden;
  Expert e;
  e.w1 = (at::randn({h, d}, gen) / std::sqrt(static_cast<double>(d))).to(device).requires_grad_();
  e.b1 = at::zeros({h}, at::device(device)).requires_grad_();
  e.w2 = (at::randn({d, h}, gen) / std::sqrt(static_cast<double>(h)) / std::sqrt(2.0 * config.layers))
             .to(device)
             .requires_grad_();
  e.b2 = at::zeros({d}, at::device(device)).requires_grad_();
  return e;
}

std::map<ExpertKey, Expert> InitAllExperts(const MoeConfig& config, uint64_t seed) {
  std::map<ExpertKey, Expert> out;
  for (int64_t l = 0; l < config.layers; ++l) {
    for (int64_t e = 0; e < config.experts; ++e) out[{l, e}] = InitExpert(config, seed, l, e);
  }
  return out;
}

at::Tensor LocalExperts::Run(int64_t layer, const at::Tensor& rows, const at::Tensor& expert_ids) {
  at::Tensor out = at::zeros_like(rows);
  const int64_t experts = expert_ids.numel() ? expert_ids.max().item<int64_t>() + 1 : 0;
  for (int64_t e = 0; e < experts; ++e) {
    const at::Tensor idx = (expert_ids == e).nonzero().view({-1});
    if (idx.numel() == 0) continue;
    out = out.index_put({idx}, experts_->at({layer, e}).Forward(rows.index_select(0, idx)));
  }
  return out;
}

MoeGptImpl::MoeGptImpl(const MoeConfig& config, uint64_t seed) : config_(config) {
  torch::manual_seed(seed);  // dense init only; experts have their own streams
  const int64_t d = config.width;
  token_ = register_module("token", torch::nn::Embedding(config.vocab, d));
  position_ = register_module("position", torch::nn::Embedding(config.context, d));
  for (int64_t l = 0; l < config.layers; ++l) {
    const std::string p = "layer" + std::to_string(l) + "_";
    ln1_.push_back(register_module(p + "ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}))));
    ln2_.push_back(register_module(p + "ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}))));
    // No qkv bias: a key bias shifts every score of a row alike, so its gradient
    // is zero up to rounding, which Adam would blow up to full-size steps.
    qkv_.push_back(
        register_module(p + "qkv", torch::nn::Linear(torch::nn::LinearOptions(d, 3 * d).bias(false))));
    proj_.push_back(register_module(p + "proj", torch::nn::Linear(d, d)));
    gate_.push_back(register_module(
        p + "gate", torch::nn::Linear(torch::nn::LinearOptions(d, config.experts).bias(false))));
  }
  final_ = register_module("final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  torch::NoGradGuard no_grad;
  token_->weight.normal_(0, 0.02);  // GPT-2's scale; N(0, 1) would make the tied head's logits huge
  position_->weight.normal_(0, 0.02);
}

at::Tensor MoeGptImpl::Block(int64_t layer, const at::Tensor& x, ExpertRunner& runner,
                             at::Tensor* expert_load) {
  const int64_t b = x.size(0), t = x.size(1), d = x.size(2), heads = config_.heads;
  // Causal self-attention.
  const auto qkv = qkv_[layer](ln1_[layer](x)).view({b, t, 3, heads, d / heads}).permute({2, 0, 3, 1, 4});
  at::Tensor scores =
      at::matmul(qkv[0], qkv[1].transpose(-2, -1)) / std::sqrt(static_cast<double>(d / heads));
  const at::Tensor mask = at::ones({t, t}, x.options().dtype(at::kBool)).triu(1);
  scores = scores.masked_fill(mask, -std::numeric_limits<float>::infinity());
  const at::Tensor attn = at::matmul(scores.softmax(-1), qkv[2]).permute({0, 2, 1, 3}).reshape({b, t, d});
  at::Tensor h = x + proj_[layer](attn);

  // MoE feed-forward. Top-1 weighs the expert by its gate probability (Switch
  // Transformer; renormalising one weight would make it 1 and starve the gate
  // of gradient); top-2 renormalises over the two chosen experts (GShard).
  const at::Tensor flat = ln2_[layer](h).reshape({b * t, d});
  at::Tensor logits = gate_[layer](flat);
  if (config_.gate_skew != 0 && config_.experts > 1) {
    logits = logits + at::linspace(config_.gate_skew, 0, config_.experts,
                                   logits.options());  // a fixed, untrained bias
  }
  const at::Tensor probs = logits.softmax(-1);
  const auto top = probs.topk(config_.top_k, -1);
  if (config_.experts > config_.top_k) {
    const at::Tensor around = std::get<0>(logits.detach().topk(config_.top_k + 1, -1));
    const at::Tensor gap = (around.select(1, config_.top_k - 1) - around.select(1, config_.top_k)).min();
    gate_margin_ = at::minimum(gate_margin_, gap);
  }
  at::Tensor weights = std::get<0>(top);
  if (config_.top_k > 1) weights = weights / weights.sum(-1, true);
  const at::Tensor experts = std::get<1>(top).reshape({-1});  // [N·k], token-major
  const at::Tensor token_of =
      at::arange(b * t, x.options().dtype(at::kLong)).repeat_interleave(config_.top_k);
  if (expert_load != nullptr) {
    (*expert_load)[layer].add_(at::bincount(experts, {}, config_.experts));
  }
  const at::Tensor out_rows = runner.Run(layer, flat.index_select(0, token_of), experts);
  const at::Tensor combined =
      at::zeros({b * t, d}, x.options()).index_add(0, token_of, out_rows * weights.reshape({-1, 1}));
  return h + combined.view({b, t, d});
}

at::Tensor MoeGptImpl::Loss(const at::Tensor& tokens, ExpertRunner& runner, double loss_denominator,
                            at::Tensor* expert_load) {
  const at::Tensor input = tokens.slice(1, 0, -1), target = tokens.slice(1, 1);
  const int64_t t = input.size(1);
  at::Tensor x = token_(input) + position_(at::arange(t, input.options())).unsqueeze(0);
  gate_margin_ = at::full({}, std::numeric_limits<float>::infinity(), x.options().dtype(at::kFloat));
  for (int64_t l = 0; l < config_.layers; ++l) x = Block(l, x, runner, expert_load);
  const at::Tensor logits = at::linear(final_(x), token_->weight);  // tied output head
  const at::Tensor summed = at::cross_entropy_loss(logits.reshape({-1, config_.vocab}), target.reshape({-1}),
                                                   {}, at::Reduction::Sum);
  return summed / loss_denominator;
}

at::Tensor ByteCorpus::Rows(int64_t first, int64_t rows, int64_t context) const {
  const int64_t span = context + 1;
  const int64_t starts = static_cast<int64_t>(text_.size()) / span;
  at::Tensor out = at::empty({rows, span}, at::kLong);
  auto acc = out.accessor<int64_t, 2>();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t start = ((first + r) % starts) * span;
    for (int64_t i = 0; i < span; ++i) acc[r][i] = static_cast<unsigned char>(text_[start + i]);
  }
  return out;
}

std::pair<int64_t, int64_t> ShardOf(int64_t global_batch, int rank, int world) {
  return {global_batch * rank / world, global_batch * (rank + 1) / world};
}

}  // namespace warden::lazarus
