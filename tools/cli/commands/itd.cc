#include "tools/cli/commands/itd.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "components/clip/default_encoder.h"
#include "components/clip/vocab.h"
#include "components/itd/default_models.h"
#include "components/itd/eval.h"
#include "components/itd/filter.h"
#include "components/itd/itd.h"
#include "components/itd/itd_data.h"
#include "components/itd/probe.h"
#include "components/itd/registry_builder.h"
#include "components/tensor/atomic_file.h"
#include "components/tensor/safetensors_torch.h"
#include "tools/cli/commands/sae.h"
#include "tools/cli/flags.h"
#include "tools/cli/output.h"
#include "tools/cli/progress.h"

namespace warden::itd {
namespace {

// Model files every verb takes: encoder, SAE, concept registry.
struct ModelFlags {
  std::string clip_weights, sae, registry;
  void Define(cli::FlagSet& flags, bool with_registry) {
    flags.String("clip_weights", &clip_weights, "HF CLIPTextModel folder (default: the embedded encoder)");
    flags.String("sae", &sae, absl::StrCat("SAE safetensors (default: ", kDefaultSae, ")"));
    if (with_registry) {
      flags.String("registry", &registry,
                   absl::StrCat("concept registry JSON (default: ", kDefaultRegistry, ")"));
    }
  }
};

struct Loaded {
  std::unique_ptr<clip::ClipTokenizer> tokenizer;
  std::unique_ptr<ConceptFilter> filter;
};

absl::StatusOr<Loaded> LoadFilter(const ModelFlags& m) {
  Loaded out;
  absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
  if (!tokenizer.ok()) return tokenizer.status();
  out.tokenizer = std::move(*tokenizer);
  absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder(m.clip_weights);
  if (!model.ok()) return model.status();
  absl::StatusOr<sae::TopKSae> sae = LoadSaeOrDefault(m.sae);
  if (!sae.ok()) return sae.status();
  absl::StatusOr<ConceptRegistry> registry = LoadRegistryOrDefault(m.registry);
  if (!registry.ok()) return registry.status();
  absl::StatusOr<ConceptFilter> filter =
      ConceptFilter::Create(std::move(*model), out.tokenizer.get(), std::move(*sae), std::move(*registry));
  if (!filter.ok()) return filter.status();
  out.filter = std::make_unique<ConceptFilter>(std::move(*filter));
  return out;
}

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
    if (!s.empty()) lines.push_back(s);
  }
  if (lines.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no prompts"));
  return lines;
}

class SelectCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "selects concept features (contrastive top-K) and writes or extends a concept registry";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    models_.Define(flags, /*with_registry=*/false);
    flags.String("family", &family_,
                 "celebrity, artist or unsafe: erase the family's first --concepts targets");
    flags.Int("concepts", &concepts_,
              "targets of the family to erase (default: 50 celebrities, 100 artists, 50 terms)");
    flags.String("name", &name_, "a custom concept's name (with --targets_file instead of --family)");
    flags.String("targets_file", &targets_file_, "custom concept: target prompts, one per line");
    flags.String("retain_file", &retain_file_, "custom concept: extra prompts to leave alone, one per line");
    flags.Bool("retain_names", &retain_names_,
               "--family: the family's retained names join the retain set (else neutral prompts only)");
    flags.String("selection", &selection_,
                 "topk (the paper's contrastive top-K) or firing (ours: firing rates)");
    flags.Int("k", &selection_config_.k,
              "K: of the contrastive top-K, or the most features per concept with --selection=firing");
    flags.Double("min_target_rate", &selection_config_.min_target_rate,
                 "--selection=firing: fires on at least this share of targets");
    flags.Double("max_retain_rate", &selection_config_.max_retain_rate,
                 "--selection=firing: fires on at most this share of retains");
    flags.Int("layer", &layer_, "encoder layer the SAE reads");
    flags.Double("scale", &scale_, "deactivation scale s (-8 as the paper; 0 zeroes the features)");
    flags.String("score", &score_, "gate score: paper (h' - h) or concept (h' - SAE reconstruction)");
    flags.String("tau", &tau_mode_, "paper (0.99 x min target score) or fpr (neutral FPR <= --max_fpr)");
    flags.Double("max_fpr", &max_fpr_, "neutral false-positive bound for --tau=fpr");
    flags.String("append_to", &append_to_, "registry to extend (its τ becomes the smaller of the two)");
    flags.Int("seed", &seed_, "seed of the family split");
    flags.String("out", &out_, "registry JSON to write");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("select takes no arguments");
    if (family_.empty() == targets_file_.empty()) {
      return absl::InvalidArgumentError("pass exactly one of --family and --targets_file");
    }
    if (selection_ != "topk" && selection_ != "firing") {
      return absl::InvalidArgumentError("--selection must be topk or firing");
    }
    absl::StatusOr<ScoreMode> mode = ParseScoreMode(score_);
    if (!mode.ok()) return mode.status();
    absl::StatusOr<TauMode> tau = ParseTauMode(tau_mode_);
    if (!tau.ok()) return tau.status();
    absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
    if (!tokenizer.ok()) return tokenizer.status();
    absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder(models_.clip_weights);
    if (!model.ok()) return model.status();
    (*model)->eval();
    absl::StatusOr<sae::TopKSae> sae = LoadSaeOrDefault(models_.sae);
    if (!sae.ok()) return sae.status();
    absl::StatusOr<NeutralSplit> neutral = MakeNeutralSplit(400, static_cast<uint64_t>(seed_));
    if (!neutral.ok()) return neutral.status();

    RegistryRequest request;
    request.retain.assign(neutral->calibration.begin(), neutral->calibration.begin() + 100);
    request.calibration = neutral->calibration;
    if (!family_.empty()) {
      absl::StatusOr<Family> family = ParseFamily(family_);
      if (!family.ok()) return family.status();
      const int64_t n = concepts_ > 0 ? concepts_ : (*family == Family::kArtist ? 100 : 50);
      absl::StatusOr<FamilyConcepts> concepts =
          MakeFamilyConcepts(*family, n, static_cast<uint64_t>(seed_), retain_names_);
      if (!concepts.ok()) return concepts.status();
      request.concepts = std::move(concepts->concepts);
      request.retain.insert(request.retain.end(), concepts->retained_prompts.begin(),
                            concepts->retained_prompts.end());
    } else {
      if (name_.empty()) return absl::InvalidArgumentError("a custom concept needs --name");
      absl::StatusOr<std::vector<std::string>> targets = ReadLines(targets_file_);
      if (!targets.ok()) return targets.status();
      request.concepts.push_back({name_, *targets});
    }
    if (!retain_file_.empty()) {
      absl::StatusOr<std::vector<std::string>> extra = ReadLines(retain_file_);
      if (!extra.ok()) return extra.status();
      request.retain.insert(request.retain.end(), extra->begin(), extra->end());
    }
    if (!append_to_.empty()) {
      absl::StatusOr<ConceptRegistry> existing = LoadRegistryOrDefault(append_to_);
      if (!existing.ok()) return existing.status();
      request.base = *existing;
    }
    request.selection = selection_config_;
    request.selection.by_firing = selection_ == "firing";
    request.layer = layer_;
    request.scale = scale_;
    request.score = *mode;
    request.tau = *tau;
    request.max_fpr = max_fpr_;
    absl::StatusOr<BuiltRegistry> built =
        BuildRegistry(*model, **tokenizer, *sae, request, cli::ShowProgress);
    if (!built.ok()) return built.status();
    const ConceptRegistry& registry = built->registry;
    if (built->calibration) {
      out << absl::StrFormat("tau for neutral FPR <= %.3f: %.6g (calibration FPR %.4f, target TPR %.4f)\n",
                             max_fpr_, built->calibration->tau, built->calibration->fpr,
                             built->calibration->tpr);
    }
    if (absl::Status s = tensor::WriteTextAtomically(out_, registry.ToJson()); !s.ok()) return s;
    out << absl::StrFormat("%d concepts, %d features, tau %.6g (%s); wrote %s\n", registry.concepts.size(),
                           registry.UnionFeatures().size(), registry.tau, tau_mode_, out_);
    return absl::OkStatus();
  }

 private:
  ModelFlags models_;
  std::string family_, name_, targets_file_, retain_file_, append_to_;
  int64_t concepts_ = -1, layer_ = 2, seed_ = 0;
  double scale_ = -8, max_fpr_ = 0.01;
  std::string tau_mode_ = "paper";
  std::string score_ = "paper";
  std::string selection_ = "topk";
  SelectionConfig selection_config_;
  bool retain_names_ = true;
  std::string out_ = "concepts.json";
};

class ClassifyCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "runs the SAE gate on prompts: verdict, score, tau and the concept features that fired";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    models_.Define(flags, /*with_registry=*/true);
    flags.Bool("json", &json_, "one JSON object per prompt");
    flags.Int("top", &top_, "concept features to show per prompt");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.empty()) return absl::InvalidArgumentError("usage: warden itd classify \"prompt\" ...");
    absl::StatusOr<Loaded> loaded = LoadFilter(models_);
    if (!loaded.ok()) return loaded.status();
    absl::StatusOr<FilterOutput> result = loaded->filter->Run(args);
    if (!result.ok()) return result.status();
    for (size_t i = 0; i < args.size(); ++i) {
      const Verdict& v = result->verdicts[i];
      std::vector<std::pair<int64_t, double>> top(
          v.features.begin(), v.features.begin() + std::min<size_t>(v.features.size(), top_));
      if (json_) {
        nlohmann::json features = nlohmann::json::array();
        for (const auto& [id, act] : top) features.push_back({{"id", id}, {"activation", act}});
        const nlohmann::json line = {{"prompt", args[i]}, {"flagged", v.flagged},   {"score", v.score},
                                     {"tau", v.tau},      {"concepts", v.concepts}, {"features", features}};
        out << line.dump() << "\n";
      } else {
        std::vector<std::string> shown;
        for (const auto& [id, act] : top) shown.push_back(absl::StrFormat("%d(%.2f)", id, act));
        out << absl::StrFormat("%-8s score %.5g %s tau %.5g  \"%s\"", v.flagged ? "FLAGGED" : "pass", v.score,
                               v.flagged ? ">=" : "< ", v.tau, args[i]);
        if (!v.concepts.empty()) out << "  concepts: " << absl::StrJoin(v.concepts, ", ");
        if (!shown.empty()) out << "  features: " << absl::StrJoin(shown, " ");
        out << "\n";
      }
    }
    return absl::OkStatus();
  }

 private:
  ModelFlags models_;
  bool json_ = false;
  int64_t top_ = 8;
};

class EmbedCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "writes the gated 77-token conditioning (diffusers prompt_embeds) of prompts to safetensors";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    models_.Define(flags, /*with_registry=*/true);
    flags.String("out", &out_, "safetensors to write: prompt_embeds [B,77,width] F32, input_ids [B,77] I64");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.empty())
      return absl::InvalidArgumentError("usage: warden itd embed \"prompt\" ... --out=e.safetensors");
    absl::StatusOr<Loaded> loaded = LoadFilter(models_);
    if (!loaded.ok()) return loaded.status();
    absl::StatusOr<FilterOutput> result = loaded->filter->Run(args);
    if (!result.ok()) return result.status();
    nlohmann::json flags = nlohmann::json::array();
    for (const Verdict& v : result->verdicts) flags.push_back(v.flagged);
    if (absl::Status s = tensor::SaveSafetensors(
            out_,
            {{"prompt_embeds", result->last_hidden_state.contiguous()}, {"input_ids", result->input_ids}},
            {{"warden.itd.flagged", flags.dump()},
             {"warden.itd.tau", absl::StrCat(result->verdicts[0].tau)}});
        !s.ok()) {
      return s;
    }
    for (size_t i = 0; i < args.size(); ++i) {
      out << absl::StrFormat("%s \"%s\" (score %.5g)\n", result->verdicts[i].flagged ? "edited " : "as-is  ",
                             args[i], result->verdicts[i].score);
    }
    out << "wrote " << out_ << " (prompt_embeds " << result->last_hidden_state.size(0) << "x"
        << result->last_hidden_state.size(1) << "x" << result->last_hidden_state.size(2) << ")\n";
    return absl::OkStatus();
  }

 private:
  ModelFlags models_;
  std::string out_ = "prompt_embeds.safetensors";
};

class InterpretCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "shows the tokens and prompts a concept's features fire on hardest";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    models_.Define(flags, /*with_registry=*/true);
    flags.String("concept", &concept_, "a concept of the registry (default: its first)");
    flags.String("features", &features_, "comma-separated latent ids instead of a concept");
    flags.Int("top", &top_, "tokens and prompts per feature");
    flags.Int("max_features", &max_features_, "features to show");
    flags.Int("corpus", &corpus_size_, "prompts of the SAE corpus to scan");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("interpret takes no arguments");
    absl::StatusOr<Loaded> loaded = LoadFilter(models_);
    if (!loaded.ok()) return loaded.status();
    std::vector<int64_t> features;
    if (!features_.empty()) {
      for (absl::string_view f : absl::StrSplit(features_, ',')) {
        int64_t id = 0;
        if (!absl::SimpleAtoi(f, &id))
          return absl::InvalidArgumentError(absl::StrCat("bad feature id \"", f, "\""));
        features.push_back(id);
      }
    } else {
      const auto& concepts = loaded->filter->registry().concepts;
      if (concepts.empty()) return absl::InvalidArgumentError("the registry has no concepts");
      auto it = concept_.empty() ? concepts.begin() : concepts.find(concept_);
      if (it == concepts.end())
        return absl::NotFoundError(absl::StrCat("no concept \"", concept_, "\" in the registry"));
      out << "concept \"" << it->first << "\": " << it->second.size() << " features\n";
      features = it->second;
    }
    if (static_cast<int64_t>(features.size()) > max_features_) features.resize(max_features_);
    absl::StatusOr<std::vector<std::string>> corpus = SaeCorpus(0);
    if (!corpus.ok()) return corpus.status();
    if (static_cast<int64_t>(corpus->size()) > corpus_size_) corpus->resize(corpus_size_);
    ConceptFilter& f = *loaded->filter;
    absl::StatusOr<std::vector<FeatureExamples>> examples =
        InterpretFeatures(f.model(), f.tokenizer(), f.sae(), f.registry().layer, features, *corpus, top_);
    if (!examples.ok()) return examples.status();
    for (const FeatureExamples& e : *examples) {
      out << absl::StrFormat("feature %d: fires on %d of %d prompts\n  tokens:", e.feature, e.firing_prompts,
                             corpus->size());
      for (const auto& [token, v] : e.tokens) out << absl::StrFormat(" %s (%.2f)", token, v);
      out << "\n";
      for (const auto& [prompt, v] : e.prompts) out << absl::StrFormat("  %.2f  %s\n", v, prompt);
    }
    return absl::OkStatus();
  }

 private:
  ModelFlags models_;
  std::string concept_, features_;
  int64_t top_ = 5, max_features_ = 8, corpus_size_ = 4000;
};

class ProbeCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "per-layer identity probe at a name's last token: which layer tells the family's names apart";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags.String("clip_weights", &clip_weights_, "HF CLIPTextModel folder (default: the embedded encoder)");
    flags.String("family", &family_, "celebrity, artist or unsafe");
    flags.Int("names", &names_, "names probed, drawn by --seed (0: every name of the family)");
    flags.Int("seed", &seed_, "seed of the name draw");
    flags.String("out", &out_path_, "table (.tsv); the plot goes beside it as .svg (empty: print only)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("probe takes no arguments");
    if (names_ < 0) return absl::InvalidArgumentError("--names must be >= 0");
    absl::StatusOr<Family> family = ParseFamily(family_);
    if (!family.ok()) return family.status();
    absl::StatusOr<FamilySplit> split = MakeFamilySplit(*family, 1, 0, 0);  // its templates
    if (!split.ok()) return split.status();
    absl::StatusOr<std::vector<std::string>> names = FamilyNames(*family, static_cast<uint64_t>(seed_));
    if (!names.ok()) return names.status();
    if (names_ > static_cast<int64_t>(names->size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("--names=", names_, ": ", family_, " has ", names->size(), " names"));
    }
    if (names_ > 0) names->resize(names_);
    absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
    if (!tokenizer.ok()) return tokenizer.status();
    absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder(clip_weights_);
    if (!model.ok()) return model.status();
    (*model)->eval();
    absl::StatusOr<ProbeReport> report =
        IdentityProbe(*model, **tokenizer, *names, split->selection_templates, split->heldout_templates,
                      [](const std::string& s) { cli::ShowProgress(s); });
    cli::ShowProgress(report.ok() ? "probe done" : "probe failed", /*done=*/true);
    if (!report.ok()) return report.status();
    const std::string tsv = ProbeTsv(*report);
    out << tsv;
    out << absl::StrFormat("probed in %.1f s\n", report->seconds);
    if (!out_path_.empty()) {
      const std::string svg = cli::OutputStem(out_path_, {".tsv"}) + ".svg";
      const std::string title = absl::StrCat("identity probe, ", family_, ": ", report->names, " names");
      for (const auto& [path, text] :
           {std::pair<std::string, std::string>{out_path_, tsv}, {svg, ProbePlotSvg(*report, title)}}) {
        if (absl::Status s = tensor::WriteTextAtomically(path, text); !s.ok()) return s;
      }
      out << "wrote " << out_path_ << " and " << svg << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string clip_weights_, family_ = "celebrity", out_path_;
  int64_t names_ = 0, seed_ = 0;
};

class EvalCommand : public cli::Command {
 public:
  std::string Summary() const override {
    return "evaluates the gate per concept family: TPR/FPR, scaling with concepts, adversarial prompts";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    models_.Define(flags, /*with_registry=*/false);
    flags.String("families", &families_, "comma-separated: celebrity, artist, unsafe");
    flags.String("counts", &counts_, "numbers of erased concepts to evaluate");
    flags.Int("main", &config_.main_count, "headline number of concepts (-1: 50/100/50)");
    flags.String("selection", &selection_,
                 "topk (the paper's contrastive top-K) or firing (ours: firing rates)");
    flags.Int("k", &config_.selection.k,
              "K: of the contrastive top-K, or the most features per concept with --selection=firing");
    flags.Bool("name_span", &config_.selection.name_span,
               "--selection=topk: Top_K over the name's tokens only, retained names by theirs too");
    flags.Double("min_target_rate", &config_.selection.min_target_rate,
                 "--selection=firing: fires on at least this share of targets");
    flags.Double("max_retain_rate", &config_.selection.max_retain_rate,
                 "--selection=firing: fires on at most this share of retains");
    flags.Int("layer", &config_.layer, "encoder layer the SAE reads");
    flags.Double("scale", &config_.scale, "deactivation scale s");
    flags.String("score", &score_, "gate score: paper (h' - h) or concept (h' - SAE reconstruction)");
    flags.Double("max_fpr", &config_.max_fpr, "neutral FPR bound of the fpr-mode tau");
    flags.Int("neutral", &config_.neutral_per_half, "neutral prompts per half (calibration, test)");
    flags.Int("retained", &config_.retained, "retained names per family");
    flags.Bool("retain_names", &config_.retain_names,
               "retained names join the retain set (else neutral prompts only)");
    flags.Int("attack_prompts", &config_.attack_prompts, "prompts the greedy attack tries per family");
    flags.Int("attack_rounds", &config_.attack_rounds, "token substitutions the attack may make");
    flags.Int("attack_candidates", &config_.attack_candidates, "nearest tokens tried per position");
    flags.Double("attack_similarity", &config_.attack_min_similarity,
                 "min pooled-embedding cosine to the original");
    flags.Int("token_attacks", &config_.token_attack_prompts,
              "target concepts the text-side MMA-Diffusion and Ring-A-Bell searches attack per family");
    flags.Int("token_length", &config_.token_search.length, "adversarial tokens those searches place");
    flags.Int("token_steps", &config_.token_search.steps, "GCG iterations / genetic generations");
    flags.Int("token_batch", &config_.token_search.batch, "GCG candidates per step / genetic population");
    flags.Double("token_eta", &config_.token_search.eta, "Ring-A-Bell's concept strength");
    flags.Int("seed", &seed_, "seed of the splits");
    flags.String("out_dir", &out_dir_,
                 "where eval.tsv, attacks.tsv, erasure.tsv and scaling.svg go (empty: print only)");
  }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (!args.empty()) return absl::InvalidArgumentError("eval takes no arguments");
    std::vector<Family> families;
    for (absl::string_view f : absl::StrSplit(families_, ',')) {
      absl::StatusOr<Family> family = ParseFamily(std::string(f));
      if (!family.ok()) return family.status();
      families.push_back(*family);
    }
    absl::StatusOr<std::vector<int64_t>> counts = cli::ParseIntList("counts", counts_);
    if (!counts.ok()) return counts.status();
    for (int64_t n : *counts) {
      if (n < 1) return absl::InvalidArgumentError(absl::StrCat("--counts: a count must be >= 1, got ", n));
    }
    config_.concept_counts = *counts;
    config_.seed = static_cast<uint64_t>(seed_);
    absl::StatusOr<ScoreMode> mode = ParseScoreMode(score_);
    if (!mode.ok()) return mode.status();
    config_.score = *mode;
    if (selection_ != "topk" && selection_ != "firing") {
      return absl::InvalidArgumentError("--selection must be topk or firing");
    }
    config_.selection.by_firing = selection_ == "firing";
    absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
    if (!tokenizer.ok()) return tokenizer.status();
    absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder(models_.clip_weights);
    if (!model.ok()) return model.status();
    absl::StatusOr<sae::TopKSae> sae = LoadSaeOrDefault(models_.sae);
    if (!sae.ok()) return sae.status();
    absl::StatusOr<EvalReport> report = EvaluateItd(*model, **tokenizer, *sae, families, config_,
                                                    [](const std::string& s) { cli::ShowProgress(s); });
    cli::ShowProgress(report.ok() ? "evaluation done" : "evaluation failed", /*done=*/true);
    if (!report.ok()) return report.status();
    out << absl::StrFormat("%-9s %5s %6s %-5s %10s %7s %7s %7s %7s %7s %7s %7s\n", "family", "n", "feats",
                           "tau", "value", "TPRsel", "TPRheld", "FPRret", "FPRneu", "evMisp", "evIns",
                           "evPara");
    for (const EvalRow& r : report->rows) {
      out << absl::StrFormat("%-9s %5d %6d %-5s %10.4g %7.3f %7.3f %7s %7.3f %7.3f %7.3f %7.3f\n", r.family,
                             r.concepts, r.features, r.tau_mode, r.tau, r.tpr_selection, r.tpr_heldout,
                             r.fpr_retained < 0 ? "-" : absl::StrFormat("%.3f", r.fpr_retained),
                             r.fpr_neutral, r.evade_misspell, r.evade_insert, r.evade_paraphrase);
    }
    for (const AttackReport& a : report->attacks) {
      const std::string example =
          a.example_after.empty() ? "" : "  e.g. \"" + a.example_before + "\" -> \"" + a.example_after + "\"";
      if (a.method == "greedy") {
        out << absl::StrFormat(
            "greedy attack, %s: %d/%d evaded, %d with the target still named (probe names %.2f of clean "
            "prompts; %.2f substitutions, similarity %.3f)%s\n",
            a.family, a.evaded, a.attacked, a.succeeded, a.probe_baseline, a.mean_substitutions,
            a.mean_similarity, example);
      } else {
        out << absl::StrFormat(
            "%s attack, %s: %d/%d evaded, %d with the target still named (probe names %.2f of clean prompts; "
            "similarity %.3f)%s\n",
            a.method, a.family, a.evaded, a.attacked, a.succeeded, a.probe_baseline, a.mean_similarity,
            example);
      }
    }
    if (!report->erasure.empty()) {
      out << "erasure depth (name probe on the final output; recovered = own name nearest):\n";
      out << absl::StrFormat("%-9s %5s %-5s %12s %12s %12s %12s %6s %10s\n", "family", "n", "tau",
                             "target before", "target after", "retain before", "retain after", "H_o",
                             "H_o ungated");
      for (const ErasureRow& e : report->erasure) {
        out << absl::StrFormat("%-9s %5d %-5s %12.3f %12.3f %12.3f %12.3f %6.3f %10.3f\n", e.family,
                               e.concepts, e.tau_mode, e.target_recovered_before, e.target_recovered_after,
                               e.retained_recovered_before, e.retained_recovered_after, e.h_o, e.h_o_ungated);
      }
    }
    out << absl::StrFormat("evaluated in %.1f s\n", report->seconds);
    if (!out_dir_.empty()) {
      std::error_code error;
      std::filesystem::create_directories(out_dir_, error);
      if (error)
        return absl::InvalidArgumentError(absl::StrCat("cannot create ", out_dir_, ": ", error.message()));
      for (const auto& [name, text] : {std::pair<std::string, std::string>{"eval.tsv", EvalRowsTsv(*report)},
                                       {"attacks.tsv", AttackTsv(*report)},
                                       {"erasure.tsv", ErasureTsv(*report)},
                                       {"scaling.svg", ScalingPlotSvg(*report)}}) {
        if (absl::Status s = tensor::WriteTextAtomically(out_dir_ + "/" + name, text); !s.ok()) return s;
      }
      out << "wrote " << out_dir_ << "/{eval.tsv,attacks.tsv,erasure.tsv,scaling.svg}\n";
    }
    return absl::OkStatus();
  }

 private:
  ModelFlags models_;
  EvalConfig config_;
  std::string families_ = "celebrity,artist,unsafe";
  std::string counts_ = "1,5,10,50,100";
  std::string score_ = "paper";
  std::string selection_ = "topk";
  int64_t seed_ = 0;
  std::string out_dir_;
};

}  // namespace

void RegisterItdCommands(cli::CommandRegistry& registry) {
  registry.AddGroup("itd", "Interpret-then-Deactivate: SAE concept filter for text-to-image prompts");
  registry.Add("itd", "train-sae", [] {
    sae::SaeTrainDefaults defaults;
    defaults.sae.n_latents = 8192;
    defaults.sae.k = 32;
    defaults.train.layer = 2;
    defaults.train.steps = 1500;
    defaults.out = kDefaultSae;
    defaults.half = true;
    return sae::MakeSaeTrainCommand(SaeCorpus, defaults);
  });
  registry.Add("itd", "select", [] { return std::make_unique<SelectCommand>(); });
  registry.Add("itd", "classify", [] { return std::make_unique<ClassifyCommand>(); });
  registry.Add("itd", "embed", [] { return std::make_unique<EmbedCommand>(); });
  registry.Add("itd", "interpret", [] { return std::make_unique<InterpretCommand>(); });
  registry.Add("itd", "eval", [] { return std::make_unique<EvalCommand>(); });
  registry.Add("itd", "probe", [] { return std::make_unique<ProbeCommand>(); });
}

absl::Status RunItdDemo(std::ostream& out) {
  absl::StatusOr<Loaded> loaded = LoadFilter({});
  if (!loaded.ok()) return loaded.status();
  ConceptFilter& filter = *loaded->filter;
  const auto& concepts = filter.registry().concepts;
  if (concepts.empty()) return absl::FailedPreconditionError("the default registry has no concepts");
  out << "registry: " << concepts.size() << " concepts, " << filter.registry().UnionFeatures().size()
      << " SAE features, tau " << filter.registry().tau << "\n";
  // A target in a template selection never saw, a retained-style neutral prompt.
  const std::string target = concepts.begin()->first.substr(concepts.begin()->first.find(':') + 1);
  // The last is one of the default registry's false positives (about 7.5% of
  // neutral prompts are flagged: docs/benchmarks.md).
  const std::vector<std::string> prompts = {absl::StrCat(target, " giving a speech"),
                                            "a bowl of oranges on a wooden table",
                                            "a photo of a lighthouse on a cliff at sunset"};
  absl::StatusOr<FilterOutput> result = filter.Run(prompts);
  if (!result.ok()) return result.status();
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Verdict& v = result->verdicts[i];
    std::vector<std::string> shown(v.concepts.begin(),
                                   v.concepts.begin() + std::min<size_t>(3, v.concepts.size()));
    if (v.concepts.size() > shown.size())
      shown.push_back(absl::StrCat("... (", v.concepts.size(), " concepts)"));
    out << absl::StrFormat("  %-8s score %.5g (tau %.5g)  \"%s\"%s\n", v.flagged ? "FLAGGED" : "pass",
                           v.score, v.tau, prompts[i],
                           shown.empty() ? "" : "  -> " + absl::StrJoin(shown, ", "));
  }
  out << "  (measured: held-out target prompts flagged 88%, neutral prompts 7.5%, other celebrities 87%)\n";
  return absl::OkStatus();
}

}  // namespace warden::itd
