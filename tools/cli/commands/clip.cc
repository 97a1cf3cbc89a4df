#include "tools/cli/commands/clip.h"

#include <torch/torch.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "components/clip/default_encoder.h"
#include "components/clip/pretrain.h"
#include "components/clip/text_model.h"
#include "components/clip/vocab.h"
#include "components/plot/svg_plot.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/runfiles.h"
#include "components/tensor/safetensors_torch.h"
#include "tools/cli/progress.h"

namespace warden::clip {
namespace {

class TokenizeCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "prints CLIP token ids of each TEXT (BOS ... EOS), space-separated";
  }
  std::string ArgsUsage() const override { return "TEXT..."; }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.Bool("json", &json_, "one JSON object per text: ids and token strings");
    flags.Bool("markers", &markers_, "add BOS/EOS and truncate to 77 (--nomarkers: raw BPE ids)");
    flags.String("vocab", &vocab_, "merges file (default: the data directory's CLIP vocab)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.empty()) return absl::InvalidArgumentError("expected at least one TEXT");
    absl::StatusOr<std::unique_ptr<ClipTokenizer>> tokenizer = LoadClipTokenizer(vocab_);
    if (!tokenizer.ok()) return tokenizer.status();
    for (const std::string& text : args) {
      const std::vector<int> ids =
          markers_ ? (*tokenizer)->EncodeWithMarkers(text) : (*tokenizer)->Encode(text);
      if (json_) {
        std::vector<std::string> tokens;
        for (int id : ids) tokens.push_back((*tokenizer)->TokenText(id));
        out << nlohmann::json({{"text", text}, {"ids", ids}, {"tokens", tokens}})
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
      } else {
        out << absl::StrJoin(ids, " ") << "\n";
      }
    }
    return absl::OkStatus();
  }

 private:
  bool json_ = false;
  bool markers_ = true;
  std::string vocab_;
};

class EncodeCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "encodes TEXTs with a CLIP text encoder; writes hidden states to safetensors";
  }
  std::string ArgsUsage() const override { return "TEXT..."; }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("clip_weights", &weights_,
                 "HF CLIPTextModel folder (config.json + model.safetensors); default: the embedded encoder");
    flags.String("out", &out_, "safetensors file to write");
    flags.Bool("all_layers", &all_layers_, "also write every layer's residual stream");
    flags.Bool("pad_to_longest", &pad_to_longest_, "pad to the longest prompt (ItD) instead of 77 (SD)");
    flags.Bool("json", &json_, "print a JSON summary instead of text");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.empty()) return absl::InvalidArgumentError("expected at least one TEXT");
    absl::StatusOr<std::unique_ptr<ClipTokenizer>> tokenizer = LoadClipTokenizer();
    if (!tokenizer.ok()) return tokenizer.status();
    absl::StatusOr<ClipTextModel> model = LoadTextEncoder(weights_);
    if (!model.ok()) return model.status();
    const int context =
        static_cast<int>(std::min<int64_t>(kContextLength, (*model)->config().max_position_embeddings));
    const TokenBatch batch = TokenizeBatch(
        **tokenizer, args, pad_to_longest_ ? Padding::kToLongest : Padding::kToContext, context);
    std::vector<int64_t> flat;
    for (const auto& row : batch.ids) flat.insert(flat.end(), row.begin(), row.end());
    for (int64_t id : flat) {
      if (id >= (*model)->config().vocab_size) {
        return absl::InvalidArgumentError(
            absl::StrCat("token id ", id, " exceeds the model's vocab_size ", (*model)->config().vocab_size));
      }
    }
    const int64_t n = static_cast<int64_t>(args.size()), length = static_cast<int64_t>(batch.ids[0].size());
    const at::Tensor ids = at::tensor(flat, at::kLong).view({n, length});
    const at::Tensor eos =
        at::tensor(std::vector<int64_t>(batch.eos_position.begin(), batch.eos_position.end()), at::kLong);
    torch::NoGradGuard no_grad;
    ClipTextOutput result = (*model)->forward(ids, eos);
    tensor::NamedTensors tensors = {
        {"input_ids", ids}, {"last_hidden_state", result.last_hidden_state}, {"pooled", result.pooled}};
    if (result.projected.defined()) tensors.emplace_back("text_embeds", result.projected);
    if (all_layers_) {
      for (size_t i = 0; i < result.hidden_states.size(); ++i) {
        tensors.emplace_back(absl::StrCat("hidden_states.", i), result.hidden_states[i]);
      }
    }
    if (absl::Status s = tensor::SaveSafetensors(out_, tensors, {{"clip_weights", weights_}}); !s.ok())
      return s;
    if (json_) {
      out << nlohmann::json({{"out", out_},
                             {"prompts", n},
                             {"length", length},
                             {"width", result.last_hidden_state.size(2)}})
                 .dump()
          << "\n";
    } else {
      out << "encoded " << n << " prompt(s) of " << length << " tokens; wrote " << out_ << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string weights_;
  std::string out_ = "clip_hidden_states.safetensors";
  bool all_layers_ = false;
  bool pad_to_longest_ = false;
  bool json_ = false;
};

class PretrainCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "pre-trains a compact CLIP text encoder (next-token) on the offline prompt corpora";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.Int("layers", &config_.layers, "transformer layers");
    flags.Int("width", &config_.width, "hidden size");
    flags.Int("heads", &config_.heads, "attention heads");
    flags.Int("intermediate", &config_.intermediate, "MLP width");
    flags.Int("batch", &config_.batch, "prompts per step");
    flags.Double("lr", &config_.learning_rate, "AdamW learning rate");
    flags.Double("minutes", &config_.minutes, "training time budget");
    flags.Int("steps", &config_.max_steps, "stop after this many steps (overrides --minutes)");
    flags.Int("negatives", &config_.negatives, "random negatives in the sampled softmax");
    flags.Int("seed", &seed_, "seed for corpus order, initialization and sampling");
    flags.String("out", &out_, "output folder (HF layout: config.json + model.safetensors, F16)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("pretrain takes no arguments");
    config_.seed = static_cast<uint64_t>(seed_);
    ClipTextConfig model_config = PretrainModelConfig(config_);
    if (absl::Status s = model_config.Validate(); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<ClipTokenizer>> tokenizer = LoadClipTokenizer();
    if (!tokenizer.ok()) return tokenizer.status();
    absl::StatusOr<std::vector<std::string>> corpus = PretrainCorpus(config_.seed);
    if (!corpus.ok()) return corpus.status();
    torch::manual_seed(seed_);
    ClipTextModel model(model_config);
    absl::StatusOr<PretrainReport> report = PretrainNextToken(
        model, **tokenizer, *corpus, config_, [](int64_t step, double loss, double seconds) {
          cli::ShowProgress(absl::StrFormat("step %6d  loss %.4f  %6.0f s", step, loss, seconds));
        });
    cli::ShowProgress("pre-training done", /*done=*/true);
    if (!report.ok()) return report.status();
    const nlohmann::json summary = {
        {"command", "warden clip pretrain --layers=" + std::to_string(config_.layers) + " --width=" +
                        std::to_string(config_.width) + " --heads=" + std::to_string(config_.heads) +
                        " --minutes=" + std::to_string(config_.minutes) + " --seed=" + std::to_string(seed_)},
        {"steps", report->steps_done},
        {"tokens_seen", report->tokens_seen},
        {"train_prompts", report->train_prompts},
        {"heldout_prompts", report->heldout_prompts},
        {"heldout_next_token_top1", report->heldout_accuracy},
        {"heldout_next_token_top5", report->heldout_top5},
        {"unigram_baseline_top1", report->unigram_accuracy},
        {"seconds", report->seconds}};
    if (absl::Status s = SaveHfClipText(model, out_, {{"warden.pretrain", summary.dump()}}, /*half=*/true);
        !s.ok()) {
      return s;
    }
    plot::LinePlotOptions options;
    options.title = "CLIP text encoder pre-training (next token, sampled softmax)";
    options.x_label = "step";
    options.y_label = "training loss (EMA)";
    const std::string svg = plot::RenderLinePlot({{"loss", report->steps, report->losses}}, options);
    if (absl::Status s = tensor::WriteTextAtomically(out_ + "/pretrain_loss.svg", svg); !s.ok()) {
      return s;
    }
    out << summary.dump(2) << "\nwrote " << out_ << "\n";
    return absl::OkStatus();
  }

 private:
  PretrainConfig config_;
  int64_t seed_ = 0;
  std::string out_ = "clip-text-pretrained";
};

}  // namespace

absl::Status RunClipDemo(std::ostream& out) {
  absl::StatusOr<std::unique_ptr<ClipTokenizer>> tokenizer = LoadClipTokenizer();
  if (!tokenizer.ok()) return tokenizer.status();
  const std::string prompt = "a photo of an astronaut riding a horse";
  out << "\"" << prompt << "\" -> " << absl::StrJoin((*tokenizer)->EncodeWithMarkers(prompt), " ") << "\n";
  absl::StatusOr<ClipTextModel> model = LoadTextEncoder("");
  if (!model.ok()) return model.status();
  const ClipTextConfig& c = (*model)->config();
  out << "default text encoder: " << c.num_hidden_layers << " layers, width " << c.hidden_size
      << ", CLIP vocabulary (" << c.vocab_size << " tokens)\n";
  for (const char* start : {"a painting in the style of", "a photo of", "the state of the"}) {
    out << "  next after \"" << start << "\":";
    for (const auto& [token, p] : PredictNextTokens(*model, **tokenizer, start, 5)) {
      out << absl::StrFormat(" %s (%.2f)", token, p);
    }
    out << "\n";
  }
  return absl::OkStatus();
}

void RegisterClipCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("clip", "CLIP's text stack: BPE tokenizer and text transformer");
  registry.Add("clip", "tokenize", [] { return std::make_unique<TokenizeCommand>(); });
  registry.Add("clip", "encode", [] { return std::make_unique<EncodeCommand>(); });
  registry.Add("clip", "pretrain", [] { return std::make_unique<PretrainCommand>(); });
}

}  // namespace warden::clip
