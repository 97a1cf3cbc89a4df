#include "components/itd/filter.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "components/sae/sae_train.h"

namespace warden::itd {
namespace {

at::Tensor IdsTensor(const std::vector<std::vector<int>>& rows) {
  std::vector<int64_t> flat;
  for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
  return at::tensor(flat, at::kLong).view({static_cast<int64_t>(rows.size()), -1});
}

}  // namespace

absl::StatusOr<ConceptFilter> ConceptFilter::Create(clip::ClipTextModel model,
                                                    const clip::ClipTokenizer* tokenizer, sae::TopKSae sae,
                                                    ConceptRegistry registry) {
  if (sae->config().d_model != model->config().hidden_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("SAE width ", sae->config().d_model, " != encoder width ", model->config().hidden_size));
  }
  if (registry.layer < 0 || registry.layer >= model->config().num_hidden_layers) {
    return absl::InvalidArgumentError(absl::StrCat("registry layer ", registry.layer, " outside [0, ",
                                                   model->config().num_hidden_layers, ")"));
  }
  for (int64_t f : registry.UnionFeatures()) {
    if (f >= sae->config().n_latents) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry feature ", f, " >= SAE latents ", sae->config().n_latents));
    }
  }
  model->eval();
  return ConceptFilter(std::move(model), tokenizer, std::move(sae), std::move(registry));
}

absl::StatusOr<FilterOutput> ConceptFilter::Run(const std::vector<std::string>& prompts) {
  if (prompts.empty()) return absl::InvalidArgumentError("no prompts");
  return RunIds(IdsTensor(clip::TokenizeBatch(*tokenizer_, prompts, clip::Padding::kToContext).ids));
}

absl::StatusOr<FilterOutput> ConceptFilter::RunIds(const at::Tensor& ids) {
  if (ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 2 ||
      ids.size(1) > model_->config().max_position_embeddings) {
    return absl::InvalidArgumentError("token ids must be [B, T] with 2 <= T <= the encoder's context");
  }
  torch::NoGradGuard no_grad;
  const std::vector<int64_t> features = registry_.UnionFeatures();
  const int64_t b = ids.size(0);
  FilterOutput out;
  out.input_ids = ids;
  out.verdicts.resize(b);
  at::Tensor values, indices;
  const auto hook = [&](int64_t layer, const at::Tensor& h) {
    if (layer != registry_.layer) return h;
    const int64_t t = h.size(1), d = h.size(2);
    const auto e = sae_->Encode(h.reshape({b * t, d}));
    values = e.values.view({b, t, -1});
    indices = e.indices.view({b, t, -1});
    Deactivation gate = DeactivateEncoded(sae_, h, values, indices, features, registry_.scale, registry_.tau,
                                          registry_.score);
    for (int64_t i = 0; i < b; ++i) {
      out.verdicts[i].score = gate.scores[i].item<double>();
      out.verdicts[i].flagged = gate.flagged[i].item<bool>();
      out.verdicts[i].tau = registry_.tau;
    }
    return gate.output;
  };
  out.last_hidden_state = model_->forward(ids, clip::EosPositions(ids), {}, hook).last_hidden_state;

  // Which concepts fire: max code of each concept feature over positions >= 1.
  if (!features.empty()) {
    const at::Tensor idx = indices.slice(1, 1).reshape({b, -1}).contiguous();
    const at::Tensor val = values.slice(1, 1).reshape({b, -1}).contiguous();
    const std::set<int64_t> feature_set(features.begin(), features.end());
    for (int64_t i = 0; i < b; ++i) {
      std::map<int64_t, double> best;
      const int64_t* ip = idx[i].data_ptr<int64_t>();
      const float* vp = val[i].data_ptr<float>();
      for (int64_t j = 0; j < idx.size(1); ++j) {
        if (vp[j] > 0 && feature_set.count(ip[j])) best[ip[j]] = std::max<double>(best[ip[j]], vp[j]);
      }
      Verdict& v = out.verdicts[i];
      v.features.assign(best.begin(), best.end());
      std::sort(v.features.begin(), v.features.end(),
                [](const auto& x, const auto& y) { return x.second > y.second; });
      for (const auto& [name, ids_of] : registry_.concepts) {
        if (std::any_of(ids_of.begin(), ids_of.end(), [&](int64_t f) { return best.count(f) > 0; })) {
          v.concepts.push_back(name);
        }
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<FeatureExamples>> InterpretFeatures(
    clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae, int64_t layer,
    const std::vector<int64_t>& features, const std::vector<std::string>& corpus, int64_t top_n) {
  if (features.empty() || corpus.empty() || top_n < 1) {
    return absl::InvalidArgumentError("need features, a corpus and top_n >= 1");
  }
  for (int64_t f : features) {
    if (f < 0 || f >= sae->config().n_latents)
      return absl::InvalidArgumentError(absl::StrCat("no latent ", f));
  }
  torch::NoGradGuard no_grad;
  const at::Tensor f_index = at::tensor(features, at::kLong);
  const int64_t nf = static_cast<int64_t>(features.size());
  std::vector<std::map<int, double>> token_max(nf);
  std::vector<std::vector<std::pair<double, int64_t>>> prompt_max(nf);
  constexpr size_t kBatch = 64;
  for (size_t start = 0; start < corpus.size(); start += kBatch) {
    const std::vector<std::string> batch(corpus.begin() + start,
                                         corpus.begin() + std::min(corpus.size(), start + kBatch));
    const clip::TokenBatch tokens = clip::TokenizeBatch(tokenizer, batch, clip::Padding::kToLongest);
    absl::StatusOr<at::Tensor> h = sae::LayerActivations(model, tokenizer, batch, layer);
    if (!h.ok()) return h.status();
    const int64_t b = static_cast<int64_t>(batch.size()), t = h->size(0) / b;
    // Codes of the chosen features only: [b, t, nf].
    const at::Tensor codes =
        sae->DenseCode(sae->Encode(*h)).index_select(1, f_index).view({b, t, nf}).contiguous();
    const float* c = codes.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      const int64_t eos = tokens.eos_position[i];
      for (int64_t j = 0; j < nf; ++j) {
        double best = 0;
        for (int64_t p = 1; p <= eos; ++p) {
          const double v = c[(i * t + p) * nf + j];
          if (v <= 0) continue;
          best = std::max(best, v);
          double& tm = token_max[j][tokens.ids[i][p]];
          tm = std::max(tm, v);
        }
        if (best > 0) prompt_max[j].push_back({best, static_cast<int64_t>(start) + i});
      }
    }
  }
  std::vector<FeatureExamples> out(nf);
  for (int64_t j = 0; j < nf; ++j) {
    out[j].feature = features[j];
    out[j].firing_prompts = static_cast<int64_t>(prompt_max[j].size());
    std::vector<std::pair<double, int>> toks;
    for (const auto& [id, v] : token_max[j]) toks.push_back({v, id});
    std::sort(toks.rbegin(), toks.rend());
    for (size_t i = 0; i < toks.size() && static_cast<int64_t>(i) < top_n; ++i) {
      out[j].tokens.push_back({tokenizer.TokenText(toks[i].second), toks[i].first});
    }
    auto& pm = prompt_max[j];
    std::sort(pm.rbegin(), pm.rend());
    for (size_t i = 0; i < pm.size() && static_cast<int64_t>(i) < top_n; ++i) {
      out[j].prompts.push_back({corpus[pm[i].second], pm[i].first});
    }
  }
  return out;
}

}  // namespace warden::itd
