#include "components/itd/token_attacks.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "absl/strings/str_split.h"

namespace warden::itd {
namespace {

at::Tensor Unit(const at::Tensor& x) { return x / x.norm(2, -1, true).clamp_min(1e-12); }

// Cosine of each row's pooled embedding to `target` (unit): [B].
at::Tensor Similarities(clip::ClipTextModel& model, const std::vector<std::vector<int>>& rows,
                        const at::Tensor& target) {
  return at::mv(PooledOfTokens(model, rows), target);
}

absl::Status CheckSearch(const at::Tensor& target, const std::vector<int64_t>& allowed,
                         const TokenSearchConfig& config, int64_t width) {
  if (target.dim() != 1 || target.size(0) != width) {
    return absl::InvalidArgumentError("the target must be one embedding of the encoder's width");
  }
  if (allowed.empty()) return absl::InvalidArgumentError("no tokens are allowed");
  if (config.length < 1 || config.length > 75 || config.steps < 0 || config.batch < 2 || config.top_k < 1) {
    return absl::InvalidArgumentError("need 1 <= length <= 75, steps >= 0, batch >= 2, top_k >= 1");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<int64_t> WholeWordTokens(const clip::ClipTokenizer& tokenizer, int64_t vocab_size) {
  std::vector<int64_t> out;
  for (int64_t id = 0; id < vocab_size; ++id) {
    if (id == clip::kStartOfText || id == clip::kEndOfText) continue;
    const std::string text = tokenizer.Decode({static_cast<int>(id)});
    if (text.size() < 2 || text.back() != ' ') continue;
    const std::vector<int> again = tokenizer.Encode(text);
    if (again.size() == 1 && again[0] == id) out.push_back(id);
  }
  return out;
}

std::vector<int64_t> AllowedTokens(const clip::ClipTokenizer& tokenizer,
                                   const std::vector<int64_t>& candidates,
                                   const std::vector<std::string>& banned) {
  std::set<int64_t> ban = {clip::kStartOfText, clip::kEndOfText};
  for (const std::string& text : banned) {
    std::vector<std::string> pieces = absl::StrSplit(text, ' ', absl::SkipEmpty());
    pieces.push_back(text);
    for (const std::string& piece : pieces) {
      for (int id : tokenizer.Encode(piece)) ban.insert(id);
    }
  }
  std::vector<int64_t> out;
  for (int64_t id : candidates) {
    if (!ban.count(id)) out.push_back(id);
  }
  return out;
}

at::Tensor PooledOfIds(clip::ClipTextModel& model, const at::Tensor& ids) {
  torch::NoGradGuard no_grad;
  return Unit(model->forward(ids, clip::EosPositions(ids)).pooled);
}

at::Tensor PooledOfTokens(clip::ClipTextModel& model, const std::vector<std::vector<int>>& rows) {
  size_t longest = 0;
  for (const auto& r : rows) longest = std::max(longest, r.size());
  const int64_t l = static_cast<int64_t>(longest) + 2;
  std::vector<int64_t> ids(rows.size() * static_cast<size_t>(l), clip::kEndOfText);
  for (size_t i = 0; i < rows.size(); ++i) {
    ids[i * l] = clip::kStartOfText;
    std::copy(rows[i].begin(), rows[i].end(), ids.begin() + static_cast<std::ptrdiff_t>(i * l + 1));
  }
  return PooledOfIds(model, at::tensor(ids, at::kLong).view({static_cast<int64_t>(rows.size()), l}));
}

at::Tensor PooledOfPrompts(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                           const std::vector<std::string>& prompts) {
  torch::NoGradGuard no_grad;
  return Unit(clip::ForwardPrompts(model, tokenizer, prompts, clip::Padding::kToContext).pooled);
}

absl::StatusOr<TokenSearchResult> MmaTokenSearch(clip::ClipTextModel& model, const at::Tensor& target,
                                                 const std::vector<int64_t>& allowed,
                                                 const TokenSearchConfig& config) {
  const int64_t width = model->config().hidden_size, vocab = model->config().vocab_size;
  if (absl::Status s = CheckSearch(target, allowed, config, width); !s.ok()) return s;
  const at::Tensor goal = Unit(target.to(at::kFloat));
  std::mt19937_64 rng(config.seed);
  std::uniform_int_distribution<size_t> any_allowed(0, allowed.size() - 1);
  std::uniform_int_distribution<int64_t> any_position(0, config.length - 1);
  std::vector<int> current(config.length);
  for (int& t : current) t = static_cast<int>(allowed[any_allowed(rng)]);
  TokenSearchResult best;
  best.ids = current;
  best.similarity = Similarities(model, {current}, goal)[0].item<double>();
  best.evaluations = 1;
  // Tokens the gradient may propose: the allowed ones (others get +inf).
  at::Tensor banned_mask = at::ones({vocab}, at::kBool);
  banned_mask.index_put_({at::tensor(allowed)}, false);
  const at::Tensor& embedding = model->token_embedding();
  const at::Tensor bos = embedding[clip::kStartOfText].detach().view({1, 1, width});
  const at::Tensor eos_embed = embedding[clip::kEndOfText].detach().view({1, 1, width});
  for (int64_t step = 0; step < config.steps; ++step) {
    // Gradient of −cos with respect to the one-hot choice at every position.
    at::Tensor one_hot = at::zeros({config.length, vocab});
    for (int64_t p = 0; p < config.length; ++p) one_hot[p][current[p]] = 1.0f;
    one_hot.set_requires_grad(true);
    const at::Tensor chosen = at::mm(one_hot, embedding.detach()).unsqueeze(0);
    const at::Tensor embeds = at::cat({bos, chosen, eos_embed}, 1);
    const at::Tensor pooled = model->forward_embeds(embeds, at::tensor({config.length + 1})).pooled[0];
    const at::Tensor loss = -at::dot(Unit(pooled), goal);
    const at::Tensor grad = torch::autograd::grad({loss}, {one_hot})[0].detach().masked_fill(
        banned_mask.unsqueeze(0), std::numeric_limits<float>::infinity());
    const at::Tensor candidates_per_position =
        std::get<1>(
            grad.topk(std::min<int64_t>(config.top_k, static_cast<int64_t>(allowed.size())), 1, false))
            .contiguous();
    std::uniform_int_distribution<int64_t> any_candidate(0, candidates_per_position.size(1) - 1);
    std::vector<std::vector<int>> batch;
    for (int64_t i = 0; i < config.batch; ++i) {
      std::vector<int> swapped = current;
      const int64_t p = any_position(rng);
      swapped[p] = static_cast<int>(candidates_per_position[p][any_candidate(rng)].item<int64_t>());
      batch.push_back(std::move(swapped));
    }
    const at::Tensor sims = Similarities(model, batch, goal);
    best.evaluations += config.batch + 1;
    const int64_t pick = sims.argmax().item<int64_t>();
    current = batch[pick];  // GCG: the best swap replaces the prompt
    const double s = sims[pick].item<double>();
    if (s > best.similarity) {
      best.similarity = s;
      best.ids = current;
    }
  }
  return best;
}

absl::StatusOr<at::Tensor> ConceptVector(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                         const std::vector<std::string>& with,
                                         const std::vector<std::string>& without) {
  if (with.empty() || with.size() != without.size()) {
    return absl::InvalidArgumentError(
        "the concept vector needs pairs of prompts with and without the concept");
  }
  return (PooledOfPrompts(model, tokenizer, with) - PooledOfPrompts(model, tokenizer, without)).mean(0);
}

absl::StatusOr<TokenSearchResult> GeneticTokenSearch(clip::ClipTextModel& model, const at::Tensor& target,
                                                     const std::vector<int64_t>& allowed,
                                                     const TokenSearchConfig& config) {
  const int64_t width = model->config().hidden_size;
  if (absl::Status s = CheckSearch(target, allowed, config, width); !s.ok()) return s;
  const at::Tensor goal = Unit(target.to(at::kFloat));
  std::mt19937_64 rng(config.seed);
  std::uniform_int_distribution<size_t> any_allowed(0, allowed.size() - 1);
  std::uniform_real_distribution<double> coin(0, 1);
  std::vector<std::vector<int>> population(config.batch, std::vector<int>(config.length));
  for (auto& member : population) {
    for (int& t : member) t = static_cast<int>(allowed[any_allowed(rng)]);
  }
  TokenSearchResult best;
  const int64_t elites = std::max<int64_t>(2, config.batch / 4);
  for (int64_t generation = 0;; ++generation) {
    const at::Tensor fitness = Similarities(model, population, goal).contiguous();
    best.evaluations += config.batch;
    std::vector<int64_t> order(population.size());
    std::iota(order.begin(), order.end(), 0);
    const float* f = fitness.data_ptr<float>();
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return f[a] > f[b]; });
    if (best.ids.empty() || f[order[0]] > best.similarity) {
      best.similarity = f[order[0]];
      best.ids = population[order[0]];
    }
    if (generation == config.steps) break;
    std::vector<std::vector<int>> next;
    for (int64_t i = 0; i < elites; ++i) next.push_back(population[order[i]]);
    std::uniform_int_distribution<int64_t> any_elite(0, elites - 1);
    while (static_cast<int64_t>(next.size()) < config.batch) {
      const auto& a = next[any_elite(rng)];
      const auto& b = next[any_elite(rng)];
      std::vector<int> child(config.length);
      for (int64_t p = 0; p < config.length; ++p) {
        child[p] = coin(rng) < 0.5 ? a[p] : b[p];
        if (coin(rng) < config.mutation) child[p] = static_cast<int>(allowed[any_allowed(rng)]);
      }
      next.push_back(std::move(child));
    }
    population = std::move(next);
  }
  return best;
}

}  // namespace warden::itd
