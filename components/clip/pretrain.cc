#include "components/clip/pretrain.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "components/tensor/random.h"
#include "components/tensor/text_datasets.h"

namespace warden::clip {
namespace {

// A batch of prompts as [B, L] ids (padded with EOS), mask and EOS positions.
struct Batch {
  at::Tensor ids, mask, eos;
};

Batch MakeBatch(const ClipTokenizer& tokenizer, const std::vector<std::string>& prompts, size_t begin,
                size_t end) {
  const std::vector<std::string> slice(prompts.begin() + begin, prompts.begin() + end);
  const TokenBatch tb = TokenizeBatch(tokenizer, slice, Padding::kToLongest);
  const int64_t b = static_cast<int64_t>(slice.size()), l = static_cast<int64_t>(tb.ids[0].size());
  std::vector<int64_t> ids, mask;
  for (int64_t i = 0; i < b; ++i) {
    ids.insert(ids.end(), tb.ids[i].begin(), tb.ids[i].end());
    mask.insert(mask.end(), tb.attention_mask[i].begin(), tb.attention_mask[i].end());
  }
  std::vector<int64_t> eos(tb.eos_position.begin(), tb.eos_position.end());
  return {at::tensor(ids, at::kLong).view({b, l}), at::tensor(mask, at::kLong).view({b, l}),
          at::tensor(eos, at::kLong)};
}

// Hidden states at positions that predict a next token, and those targets:
// position t (BOS .. the token before EOS) predicts token t + 1.
std::pair<at::Tensor, at::Tensor> NextTokenPairs(const at::Tensor& hidden, const Batch& batch) {
  const int64_t l = batch.ids.size(1);
  const at::Tensor valid = batch.mask.slice(1, 1, l).to(at::kBool);  // target exists
  const at::Tensor h = hidden.slice(1, 0, l - 1).index({valid});
  const at::Tensor targets = batch.ids.slice(1, 1, l).index({valid});
  return {h, targets};
}

// The tied output head (a handle sharing the parameter's storage).
at::Tensor TokenEmbedding(ClipTextModel& model) {
  return model->named_parameters()["token_embedding.weight"];
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PretrainCorpus(uint64_t seed, int64_t captions,
                                                        int64_t sentences) {
  std::vector<std::string> corpus;
  // Every name of a prompt list in every template ("%" marks the name).
  auto add_templated = [&](const std::string& list, std::initializer_list<const char*> templates) {
    absl::StatusOr<std::vector<std::string>> names = tensor::LoadPromptList(list);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      for (const char* t : templates) {
        std::string s = t;
        s.replace(s.find('%'), 1, name);
        corpus.push_back(std::move(s));
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = add_templated("people/celebrity",
                                     {"a photo of %", "a portrait of %", "% smiling", "% on the red carpet",
                                      "a close-up photo of %", "% in a movie scene", "an image of %",
                                      "% at a press conference"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = add_templated("artist/all",
                                     {"a painting by %", "in the style of %", "artwork by %",
                                      "a landscape painted by %", "a portrait in the style of %",
                                      "% style illustration"});
      !s.ok()) {
    return s;
  }
  std::mt19937_64 rng(seed);
  auto sample = [&](std::vector<std::string> items, int64_t count) {
    std::shuffle(items.begin(), items.end(), rng);
    if (count >= 0 && static_cast<int64_t>(items.size()) > count) items.resize(count);
    corpus.insert(corpus.end(), items.begin(), items.end());
  };
  absl::StatusOr<std::vector<std::string>> parti = tensor::LoadPromptList("set/parti");
  if (!parti.ok()) return parti.status();
  sample(*parti, -1);
  absl::StatusOr<std::vector<std::string>> subjects = tensor::LoadPromptList("set/describe-subject");
  if (!subjects.ok()) return subjects.status();
  sample(*subjects, captions);
  absl::StatusOr<std::vector<std::string>> sotu = tensor::LoadSotuSentences();
  if (!sotu.ok()) return sotu.status();
  // Prompt-length sentences only: long ones cost compute and exceed 77 tokens.
  std::vector<std::string> short_sentences;
  for (std::string& s : *sotu) {
    if (s.size() <= 160) short_sentences.push_back(std::move(s));
  }
  sample(short_sentences, sentences);
  std::shuffle(corpus.begin(), corpus.end(), rng);
  return corpus;
}

ClipTextConfig PretrainModelConfig(const PretrainConfig& config) {
  ClipTextConfig c;
  c.hidden_size = config.width;
  c.intermediate_size = config.intermediate;
  c.num_hidden_layers = config.layers;
  c.num_attention_heads = config.heads;
  return c;
}

NextTokenAccuracy EvaluateNextToken(ClipTextModel& model, const ClipTokenizer& tokenizer,
                                    const std::vector<std::string>& prompts) {
  torch::NoGradGuard no_grad;
  model->eval();
  NextTokenAccuracy acc;
  int64_t top1 = 0, top5 = 0;
  const at::Tensor embedding = TokenEmbedding(model);
  for (size_t begin = 0; begin < prompts.size(); begin += 64) {
    const Batch batch = MakeBatch(tokenizer, prompts, begin, std::min(prompts.size(), begin + 64));
    const ClipTextOutput out = model->forward(batch.ids, batch.eos, batch.mask);
    auto [h, targets] = NextTokenPairs(out.last_hidden_state, batch);
    const at::Tensor best5 = std::get<1>(at::matmul(h, embedding.t()).topk(5, 1));
    top1 += best5.select(1, 0).eq(targets).sum().item<int64_t>();
    top5 += best5.eq(targets.unsqueeze(1)).any(1).sum().item<int64_t>();
    acc.tokens += targets.size(0);
  }
  acc.top1 = acc.tokens ? static_cast<double>(top1) / acc.tokens : 0;
  acc.top5 = acc.tokens ? static_cast<double>(top5) / acc.tokens : 0;
  return acc;
}

absl::StatusOr<PretrainReport> PretrainNextToken(
    ClipTextModel& model, const ClipTokenizer& tokenizer, const std::vector<std::string>& prompts,
    const PretrainConfig& config, const std::function<void(int64_t, double, double)>& progress) {
  if (prompts.size() < 100 || config.batch < 2 || !(config.learning_rate > 0) || config.negatives < 0) {
    return absl::InvalidArgumentError("need >= 100 prompts, batch >= 2, lr > 0, negatives >= 0");
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const size_t heldout = std::max<size_t>(50, static_cast<size_t>(config.heldout_fraction * prompts.size()));
  const std::vector<std::string> test(prompts.begin(), prompts.begin() + heldout);
  const std::vector<std::string> train(prompts.begin() + heldout, prompts.end());
  PretrainReport report;
  report.train_prompts = static_cast<int64_t>(train.size());
  report.heldout_prompts = static_cast<int64_t>(test.size());

  const int64_t vocab = model->config().vocab_size;
  torch::optim::AdamW optimizer(model->parameters(),
                                torch::optim::AdamWOptions(config.learning_rate).weight_decay(0.01));
  at::Generator gen = tensor::MakeCpuGenerator(config.seed, 7);
  std::vector<int64_t> counts(vocab, 0);  // training target frequencies (unigram baseline)
  double running = 0;
  size_t cursor = 0;
  for (int64_t step = 0;; ++step) {
    if ((config.max_steps > 0 && step >= config.max_steps) ||
        (config.max_steps <= 0 && elapsed() > config.minutes * 60)) {
      report.steps_done = step;
      break;
    }
    if (cursor + config.batch > train.size()) cursor = 0;
    const Batch batch = MakeBatch(tokenizer, train, cursor, cursor + config.batch);
    cursor += config.batch;
    model->train();
    const ClipTextOutput out = model->forward(batch.ids, batch.eos, batch.mask);
    auto [h, targets] = NextTokenPairs(out.last_hidden_state, batch);
    // Sampled softmax: the batch's targets plus uniform negatives.
    const at::Tensor negatives = at::randint(0, vocab, {config.negatives}, gen, at::kLong);
    const auto unique = at::_unique(at::cat({targets, negatives}), /*sorted=*/true, /*return_inverse=*/true);
    const at::Tensor candidates = std::get<0>(unique);
    const at::Tensor target_index = std::get<1>(unique).slice(0, 0, targets.size(0));
    const at::Tensor logits = at::matmul(h, TokenEmbedding(model).index_select(0, candidates).t());
    const at::Tensor loss = torch::nn::functional::cross_entropy(logits, target_index);
    // Linear warm-up of the learning rate.
    const double lr = config.learning_rate * std::min(1.0, static_cast<double>(step + 1) / config.warmup_steps);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
    optimizer.step();

    const at::Tensor t = targets.contiguous();
    for (int64_t i = 0; i < t.numel(); ++i) ++counts[t.data_ptr<int64_t>()[i]];
    report.tokens_seen += t.numel();
    running = step == 0 ? loss.item<double>() : 0.98 * running + 0.02 * loss.item<double>();
    if (step % 25 == 0) {
      report.steps.push_back(static_cast<double>(step));
      report.losses.push_back(running);
      if (progress) progress(step, running, elapsed());
    }
  }
  const NextTokenAccuracy acc = EvaluateNextToken(model, tokenizer, test);
  report.heldout_accuracy = acc.top1;
  report.heldout_top5 = acc.top5;
  // Unigram baseline: always the most frequent training target.
  const int64_t most = std::max_element(counts.begin(), counts.end()) - counts.begin();
  int64_t hits = 0, total = 0;
  for (size_t begin = 0; begin < test.size(); begin += 64) {
    const Batch batch = MakeBatch(tokenizer, test, begin, std::min(test.size(), begin + 64));
    const at::Tensor targets = batch.ids.slice(1, 1, batch.ids.size(1)).index({batch.mask.slice(1, 1, batch.ids.size(1)).to(at::kBool)});
    hits += targets.eq(most).sum().item<int64_t>();
    total += targets.numel();
  }
  report.unigram_accuracy = total ? static_cast<double>(hits) / total : 0;
  report.seconds = elapsed();
  model->eval();
  return report;
}

std::vector<std::pair<std::string, double>> PredictNextTokens(ClipTextModel& model,
                                                              const ClipTokenizer& tokenizer,
                                                              const std::string& prompt, int k) {
  torch::NoGradGuard no_grad;
  std::vector<int> ids = tokenizer.EncodeWithMarkers(prompt);
  ids.pop_back();  // drop EOS: predict what follows the prompt
  std::vector<int64_t> ids64(ids.begin(), ids.end());
  const int64_t l = static_cast<int64_t>(ids64.size());
  const ClipTextOutput out = model->forward(at::tensor(ids64, at::kLong).view({1, l}),
                                            at::tensor({l - 1}, at::kLong));
  const at::Tensor probs = at::matmul(out.last_hidden_state[0][l - 1], TokenEmbedding(model).t()).softmax(0);
  const auto top = probs.topk(k);
  std::vector<std::pair<std::string, double>> result;
  for (int i = 0; i < k; ++i) {
    const int id = static_cast<int>(std::get<1>(top)[i].item<int64_t>());
    result.emplace_back(tokenizer.TokenText(id), std::get<0>(top)[i].item<double>());
  }
  return result;
}

}  // namespace warden::clip
