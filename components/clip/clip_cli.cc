#include "components/clip/clip_cli.h"

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "components/clip/text_model.h"
#include "components/clip/vocab.h"
#include "components/tensor/safetensors_torch.h"

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
      const std::vector<int> ids = markers_ ? (*tokenizer)->EncodeWithMarkers(text) : (*tokenizer)->Encode(text);
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
    flags.String("clip_weights", &weights_, "HF CLIPTextModel folder (config.json + model.safetensors)");
    flags.String("out", &out_, "safetensors file to write");
    flags.Bool("all_layers", &all_layers_, "also write every layer's residual stream");
    flags.Bool("pad_to_longest", &pad_to_longest_, "pad to the longest prompt (ItD) instead of 77 (SD)");
    flags.Bool("json", &json_, "print a JSON summary instead of text");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.empty()) return absl::InvalidArgumentError("expected at least one TEXT");
    if (weights_.empty()) {
      return absl::InvalidArgumentError(
          "--clip_weights is required: a folder with config.json and model.safetensors "
          "(e.g. the text_encoder/ folder of Stable Diffusion 1.x)");
    }
    absl::StatusOr<std::unique_ptr<ClipTokenizer>> tokenizer = LoadClipTokenizer();
    if (!tokenizer.ok()) return tokenizer.status();
    absl::StatusOr<ClipTextModel> model = LoadHfClipText(weights_);
    if (!model.ok()) return model.status();
    const int context = static_cast<int>(std::min<int64_t>(kContextLength, (*model)->config().max_position_embeddings));
    const TokenBatch batch = TokenizeBatch(**tokenizer, args, pad_to_longest_ ? Padding::kToLongest : Padding::kToContext, context);
    std::vector<int64_t> flat;
    for (const auto& row : batch.ids) flat.insert(flat.end(), row.begin(), row.end());
    for (int64_t id : flat) {
      if (id >= (*model)->config().vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat("token id ", id, " exceeds the model's vocab_size ",
                                                       (*model)->config().vocab_size));
      }
    }
    const int64_t n = static_cast<int64_t>(args.size()), length = static_cast<int64_t>(batch.ids[0].size());
    const at::Tensor ids = at::tensor(flat, at::kLong).view({n, length});
    const at::Tensor eos = at::tensor(std::vector<int64_t>(batch.eos_position.begin(), batch.eos_position.end()), at::kLong);
    torch::NoGradGuard no_grad;
    ClipTextOutput result = (*model)->forward(ids, eos);
    tensor::NamedTensors tensors = {{"input_ids", ids}, {"last_hidden_state", result.last_hidden_state},
                                    {"pooled", result.pooled}};
    if (result.projected.defined()) tensors.emplace_back("text_embeds", result.projected);
    if (all_layers_) {
      for (size_t i = 0; i < result.hidden_states.size(); ++i) {
        tensors.emplace_back(absl::StrCat("hidden_states.", i), result.hidden_states[i]);
      }
    }
    if (absl::Status s = tensor::SaveSafetensors(out_, tensors, {{"clip_weights", weights_}}); !s.ok()) return s;
    if (json_) {
      out << nlohmann::json({{"out", out_}, {"prompts", n}, {"length", length},
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

}  // namespace

void RegisterClipCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("clip", "CLIP's text stack: BPE tokenizer and text transformer");
  registry.Add("clip", "tokenize", [] { return std::make_unique<TokenizeCommand>(); });
  registry.Add("clip", "encode", [] { return std::make_unique<EncodeCommand>(); });
}

}  // namespace warden::clip
