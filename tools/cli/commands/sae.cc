#include "tools/cli/commands/sae.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "components/clip/default_encoder.h"
#include "components/clip/pretrain.h"
#include "components/clip/vocab.h"
#include "components/plot/svg_plot.h"
#include "components/sae/sae_train.h"
#include "components/tensor/atomic_file.h"
#include "distributed/data_parallel/data_parallel.h"
#include "tools/cli/output.h"
#include "tools/cli/progress.h"

namespace warden::sae {
namespace {

class TrainCommand : public cli::Command {
 public:
  TrainCommand(SaeCorpusFn corpus, const SaeTrainDefaults& defaults)
      : corpus_(std::move(corpus)),
        sae_(defaults.sae),
        train_(defaults.train),
        out_(defaults.out),
        half_(defaults.half) {}
  std::string Summary() const override {
    return "trains a TopK SAE on a CLIP encoder layer's residual stream over the prompt corpus";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("clip_weights", &weights_, "HF CLIPTextModel folder (default: the embedded encoder)");
    flags.Int("layer", &train_.layer, "encoder layer whose output is the residual stream (0-based)");
    flags.Int("latents", &sae_.n_latents, "SAE latents");
    flags.Int("k", &sae_.k, "active latents per token (TopK)");
    flags.Int("auxk", &sae_.auxk, "AuxK: top dead latents modelling the residual");
    flags.Int("dead_steps", &sae_.dead_steps, "steps without firing before a latent counts as dead");
    flags.Int("steps", &train_.steps, "training steps");
    flags.Int("batch", &train_.batch_prompts, "prompts per step (padded to the longest)");
    flags.Double("lr", &train_.learning_rate, "Adam learning rate");
    flags.Int("seed", &seed_, "seed for initialisation and corpus order");
    flags.String("out", &out_, "SAE to write (.safetensors); its loss curve goes beside it (.svg)");
    flags.Bool("half", &half_, "store the weights as F16");
    flags.Int("nproc", &nproc_,
              "data-parallel ranks on this machine, launched by this verb (elsewhere: any launcher that sets "
              "RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; docs/scale_out.md)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("train takes no arguments");
    if (sae_.n_latents < 1 || sae_.k < 1 || sae_.k > sae_.n_latents) {
      return absl::InvalidArgumentError("need 1 <= --k <= --latents");
    }
    if (nproc_ < 1) return absl::InvalidArgumentError("--nproc must be >= 1");
    absl::StatusOr<std::optional<data_parallel::LaunchEnv>> launched =
        data_parallel::LaunchEnvFromEnvironment();
    if (!launched.ok()) return launched.status();
    if (!launched->has_value() && nproc_ > 1) {
      // The local launcher: this same command line as nproc ranks.
      absl::StatusOr<std::vector<std::string>> argv = data_parallel::OwnCommandLine();
      if (!argv.ok()) return argv.status();
      out.flush();
      return data_parallel::RunLocalRanks(*argv, nproc_);
    }
    std::unique_ptr<data_parallel::C10dCollective> group;
    if (launched->has_value()) {
      absl::StatusOr<std::unique_ptr<data_parallel::C10dCollective>> joined =
          data_parallel::JoinGroup(**launched, std::chrono::minutes(5));
      if (!joined.ok()) return joined.status();
      group = std::move(*joined);
    }
    const bool root = group == nullptr || group->rank() == 0;
    absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
    if (!tokenizer.ok()) return tokenizer.status();
    absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder(weights_);
    if (!model.ok()) return model.status();
    absl::StatusOr<std::vector<std::string>> prompts = corpus_(static_cast<uint64_t>(seed_));
    if (!prompts.ok()) return prompts.status();
    torch::manual_seed(seed_);
    sae_.d_model = (*model)->config().hidden_size;
    TopKSae sae(sae_);
    std::function<void(int64_t, double, int64_t)> progress;
    if (root) {
      progress = [](int64_t step, double fvu, int64_t dead) {
        cli::ShowProgress(absl::StrFormat("step %6d  FVU %.4f  dead latents %d", step, fvu, dead));
      };
    }
    absl::StatusOr<SaeTrainReport> report =
        TrainSaeOnClip(sae, *model, **tokenizer, *prompts, train_, progress, group.get());
    if (root) cli::ShowProgress("training done", /*done=*/true);
    if (!report.ok()) return report.status();
    if (!root) return absl::OkStatus();  // rank 0 writes the (identical) weights
    if (absl::Status s = SaveSae(sae, out_, half_); !s.ok()) return s;
    plot::LinePlotOptions options;
    options.title =
        absl::StrFormat("TopK SAE on layer %d: %d latents, k=%d", train_.layer, sae_.n_latents, sae_.k);
    options.x_label = "step";
    options.y_label = "fraction of variance unexplained";
    options.y_min = 0;
    options.y_max = 1;
    const std::string svg = plot::RenderLinePlot({{"FVU", report->steps, report->fvu}}, options);
    const std::string svg_path = cli::OutputStem(out_, {".safetensors"}) + ".svg";
    if (absl::Status s = tensor::WriteTextAtomically(svg_path, svg); !s.ok()) return s;
    out << absl::StrFormat("trained %d steps on %d tokens in %.1f s%s: final FVU %.4f; wrote %s and %s\n",
                           train_.steps, report->tokens, report->seconds,
                           group ? absl::StrFormat(" on %d data-parallel ranks", group->world()) : "",
                           report->final_fvu, out_, svg_path);
    return absl::OkStatus();
  }

 private:
  SaeCorpusFn corpus_;
  std::string weights_;
  SaeConfig sae_;
  SaeTrainConfig train_;
  int64_t seed_ = 0;
  std::string out_;
  bool half_ = false;
  int64_t nproc_ = 1;
};

}  // namespace

std::unique_ptr<cli::Command> MakeSaeTrainCommand(SaeCorpusFn corpus, const SaeTrainDefaults& defaults) {
  return std::make_unique<TrainCommand>(std::move(corpus), defaults);
}

void RegisterSaeCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("sae", "TopK sparse autoencoders on CLIP's residual stream (ItD)");
  registry.Add("sae", "train", [] {
    return MakeSaeTrainCommand([](uint64_t seed) { return clip::PretrainCorpus(seed, 30000, 0); }, {});
  });
}

}  // namespace warden::sae
