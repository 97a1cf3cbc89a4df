#include "components/clip/clip_cli.h"

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "components/clip/vocab.h"

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

}  // namespace

void RegisterClipCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("clip", "CLIP's text stack: the BPE tokenizer");
  registry.Add("clip", "tokenize", [] { return std::make_unique<TokenizeCommand>(); });
}

}  // namespace warden::clip
