#include "components/itd/itd.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "components/sae/sae_train.h"

namespace warden::itd {

std::vector<int64_t> TopLatents(sae::TopKSae& sae, const at::Tensor& h, int64_t k) {
  return SpanTopLatents(sae, h, 1, h.size(0), k);  // skip BOS
}

std::vector<int64_t> SpanTopLatents(sae::TopKSae& sae, const at::Tensor& h, int64_t begin, int64_t end,
                                    int64_t k) {
  torch::NoGradGuard no_grad;
  begin = std::max<int64_t>(begin, 0);
  end = std::min(end, h.size(0));
  if (end <= begin) return {};
  const at::Tensor z = sae->DenseCode(sae->Encode(h.slice(0, begin, end)));
  const at::Tensor m = std::get<0>(z.max(0));
  const auto top = m.topk(std::min<int64_t>(k, m.size(0)));
  // Only latents that fire: with fewer than K positive codes, topk would pad
  // with arbitrary zero-activation latents (issue 19).
  const at::Tensor idx = std::get<1>(top).masked_select(std::get<0>(top) > 0).contiguous();
  return std::vector<int64_t>(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel());
}

std::string NamedPrompt::Text() const {
  std::string s = templ;
  const size_t mark = s.find('%');
  if (mark != std::string::npos) s.replace(mark, 1, name);
  return s;
}

std::vector<NamedPrompt> FillNamed(const std::vector<std::string>& templates,
                                   const std::vector<std::string>& names) {
  std::vector<NamedPrompt> out;
  out.reserve(templates.size() * names.size());
  for (const std::string& name : names) {
    for (const std::string& t : templates) out.push_back({t, name});
  }
  return out;
}

absl::StatusOr<NameSpan> FindNameSpan(const clip::ClipTokenizer& tokenizer, const std::string& templ,
                                      const std::string& name) {
  const size_t mark = templ.find('%');
  if (mark == std::string::npos)
    return absl::InvalidArgumentError(absl::StrCat("template \"", templ, "\" has no %"));
  std::string filled = templ;
  filled.replace(mark, 1, name);
  const std::vector<int> prefix = tokenizer.Encode(templ.substr(0, mark));
  const std::vector<int> name_ids = tokenizer.Encode(name);
  const std::vector<int> all = tokenizer.Encode(filled);
  const size_t begin = prefix.size(), end = begin + name_ids.size();
  if (name_ids.empty() || end > all.size() ||
      !std::equal(name_ids.begin(), name_ids.end(), all.begin() + begin)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" does not tokenize on its own in \"", templ, "\""));
  }
  if (all.size() + 2 > static_cast<size_t>(clip::kContextLength)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", filled, "\" overflows the context"));
  }
  return NameSpan{static_cast<int64_t>(begin) + 1, static_cast<int64_t>(end) + 1};  // + BOS
}

absl::StatusOr<std::vector<int64_t>> PromptTopLatents(clip::ClipTextModel& model,
                                                      const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae,
                                                      int64_t layer, const std::string& prompt, int64_t k) {
  absl::StatusOr<at::Tensor> h = sae::LayerActivations(model, tokenizer, {prompt}, layer);
  if (!h.ok()) return h.status();
  return TopLatents(sae, *h, k);
}

absl::StatusOr<std::set<int64_t>> RetainedLatents(clip::ClipTextModel& model,
                                                  const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae,
                                                  int64_t layer, const std::vector<std::string>& retains,
                                                  int64_t k) {
  if (k < 1) return absl::InvalidArgumentError("need K >= 1");
  std::set<int64_t> retained;
  for (const std::string& r : retains) {
    absl::StatusOr<std::vector<int64_t>> top = PromptTopLatents(model, tokenizer, sae, layer, r, k);
    if (!top.ok()) return top.status();
    retained.insert(top->begin(), top->end());
  }
  return retained;
}

absl::StatusOr<std::vector<int64_t>> SelectConceptFeatures(
    clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae, int64_t layer,
    const std::vector<std::string>& targets, const std::vector<std::string>& retains, int64_t k) {
  if (targets.empty() || k < 1) return absl::InvalidArgumentError("need target prompts and K >= 1");
  SelectionConfig config;
  config.k = k;
  absl::StatusOr<ConceptSelector> selector =
      ConceptSelector::Create(model, tokenizer, sae, layer, retains, config);
  if (!selector.ok()) return selector.status();
  return selector->SelectFor(targets);
}

absl::StatusOr<std::vector<int64_t>> PromptFiringLatents(clip::ClipTextModel& model,
                                                         const clip::ClipTokenizer& tokenizer,
                                                         sae::TopKSae& sae, int64_t layer,
                                                         const std::string& prompt) {
  torch::NoGradGuard no_grad;
  absl::StatusOr<at::Tensor> h = sae::LayerActivations(model, tokenizer, {prompt}, layer);
  if (!h.ok()) return h.status();
  if (h->size(0) < 2) return std::vector<int64_t>{};
  const auto code = sae->Encode(h->slice(0, 1));  // skip BOS
  const at::Tensor fired = code.indices.masked_select(code.values > 0).contiguous();
  const std::set<int64_t> unique(fired.data_ptr<int64_t>(), fired.data_ptr<int64_t>() + fired.numel());
  return std::vector<int64_t>(unique.begin(), unique.end());
}

absl::StatusOr<std::vector<double>> FiringRates(clip::ClipTextModel& model,
                                                const clip::ClipTokenizer& tokenizer, sae::TopKSae& sae,
                                                int64_t layer, const std::vector<std::string>& prompts) {
  if (prompts.empty()) return absl::InvalidArgumentError("no prompts to measure firing rates on");
  std::vector<double> rates(sae->config().n_latents, 0.0);
  for (const std::string& p : prompts) {
    absl::StatusOr<std::vector<int64_t>> fired = PromptFiringLatents(model, tokenizer, sae, layer, p);
    if (!fired.ok()) return fired.status();
    for (int64_t j : *fired) rates[j] += 1.0 / static_cast<double>(prompts.size());
  }
  return rates;
}

std::vector<int64_t> SelectByFiring(const std::vector<std::vector<int64_t>>& target_firing,
                                    const std::vector<double>& retain_rates, const SelectionConfig& config) {
  if (target_firing.empty()) return {};
  std::map<int64_t, double> target_rate;
  for (const std::vector<int64_t>& fired : target_firing) {
    for (int64_t j : fired) target_rate[j] += 1.0 / static_cast<double>(target_firing.size());
  }
  struct Candidate {
    int64_t id;
    double target, retain;
  };
  std::vector<Candidate> candidates;
  for (const auto& [j, rate] : target_rate) {
    const double retain = j < static_cast<int64_t>(retain_rates.size()) ? retain_rates[j] : 0.0;
    if (rate + 1e-12 >= config.min_target_rate && retain <= config.max_retain_rate + 1e-12) {
      candidates.push_back({j, rate, retain});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.target != b.target) return a.target > b.target;
    if (a.retain != b.retain) return a.retain < b.retain;
    return a.id < b.id;
  });
  if (static_cast<int64_t>(candidates.size()) > config.k) candidates.resize(config.k);
  std::vector<int64_t> out;
  for (const Candidate& c : candidates) out.push_back(c.id);
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<ConceptSelector> ConceptSelector::Create(clip::ClipTextModel& model,
                                                        const clip::ClipTokenizer& tokenizer,
                                                        sae::TopKSae& sae, int64_t layer,
                                                        const std::vector<std::string>& retains,
                                                        const SelectionConfig& config,
                                                        const std::vector<NamedPrompt>& retained_names) {
  if (config.k < 1) return absl::InvalidArgumentError("need K >= 1");
  if (config.by_firing && config.name_span) {
    return absl::InvalidArgumentError("name-span selection is for the contrastive top-K, not by firing");
  }
  ConceptSelector selector(&model, &tokenizer, &sae, layer, config);
  if (config.by_firing) {
    std::vector<std::string> all = retains;
    for (const NamedPrompt& p : retained_names) all.push_back(p.Text());
    absl::StatusOr<std::vector<double>> rates = FiringRates(model, tokenizer, sae, layer, all);
    if (!rates.ok()) return rates.status();
    selector.retain_rates_ = *std::move(rates);
  } else {
    absl::StatusOr<std::set<int64_t>> retained =
        RetainedLatents(model, tokenizer, sae, layer, retains, config.k);
    if (!retained.ok()) return retained.status();
    selector.retained_ = *std::move(retained);
    for (const NamedPrompt& p : retained_names) {
      absl::StatusOr<std::vector<int64_t>> top = selector.NamedLatents(p);
      if (!top.ok()) return top.status();
      selector.retained_.insert(top->begin(), top->end());
    }
  }
  return selector;
}

absl::StatusOr<std::vector<int64_t>> ConceptSelector::NamedLatents(const NamedPrompt& prompt) const {
  if (!config_.name_span) return PromptLatents(prompt.Text());
  absl::StatusOr<NameSpan> span = FindNameSpan(*tokenizer_, prompt.templ, prompt.name);
  if (!span.ok()) return span.status();
  absl::StatusOr<at::Tensor> h = sae::LayerActivations(*model_, *tokenizer_, {prompt.Text()}, layer_);
  if (!h.ok()) return h.status();
  return SpanTopLatents(*sae_, *h, span->begin, span->end, config_.k);
}

absl::StatusOr<std::vector<int64_t>> ConceptSelector::PromptLatents(const std::string& prompt) const {
  return config_.by_firing ? PromptFiringLatents(*model_, *tokenizer_, *sae_, layer_, prompt)
                           : PromptTopLatents(*model_, *tokenizer_, *sae_, layer_, prompt, config_.k);
}

std::vector<int64_t> ConceptSelector::Select(const std::vector<std::vector<int64_t>>& prompt_latents) const {
  if (config_.by_firing) return SelectByFiring(prompt_latents, retain_rates_, config_);
  std::set<int64_t> features;
  for (const std::vector<int64_t>& top : prompt_latents) {
    for (int64_t j : top) {
      if (!retained_.count(j)) features.insert(j);
    }
  }
  return std::vector<int64_t>(features.begin(), features.end());
}

absl::StatusOr<std::vector<int64_t>> ConceptSelector::SelectFor(
    const std::vector<std::string>& prompts) const {
  std::vector<std::vector<int64_t>> latents;
  for (const std::string& p : prompts) {
    absl::StatusOr<std::vector<int64_t>> l = PromptLatents(p);
    if (!l.ok()) return l.status();
    latents.push_back(*std::move(l));
  }
  return Select(latents);
}

absl::StatusOr<ScoreMode> ParseScoreMode(const std::string& name) {
  ScoreMode mode;
  if (ScoreModeFromName(name, &mode)) return mode;
  return absl::InvalidArgumentError(absl::StrCat("unknown score \"", name, "\" (want paper or concept)"));
}

Deactivation Deactivate(sae::TopKSae& sae, const at::Tensor& h, const std::vector<int64_t>& features,
                        double scale, double tau, ScoreMode mode) {
  torch::NoGradGuard no_grad;
  const int64_t b = h.size(0), t = h.size(1), d = h.size(2);
  const auto e = sae->Encode(h.reshape({b * t, d}));
  return DeactivateEncoded(sae, h, e.values.view({b, t, -1}), e.indices.view({b, t, -1}), features, scale,
                           tau, mode);
}

namespace {

// The gate with tensor ops, for any device: decodes every prompt.
Deactivation DeactivateEncodedTensors(sae::TopKSae& sae, const at::Tensor& h, const at::Tensor& values,
                                      const at::Tensor& indices, const std::vector<int64_t>& features,
                                      double scale, double tau, ScoreMode mode) {
  const int64_t b = h.size(0), t = h.size(1), d = h.size(2);
  at::Tensor scaled = values;
  if (!features.empty()) {
    const at::Tensor f = at::tensor(features, at::kLong).to(indices.device());
    // Positions t >= 1 whose kept latent is a concept feature get scaled by s.
    at::Tensor hit = at::isin(indices, f);
    hit.select(1, 0).fill_(false);
    scaled = at::where(hit, values * scale, values);
  }
  const at::Tensor modified =
      sae->Decode(scaled.reshape({b * t, -1}), indices.reshape({b * t, -1})).view({b, t, d});
  Deactivation out;
  if (mode == ScoreMode::kPaper) {
    out.scores = (modified - h).pow(2).mean({1, 2});
  } else {
    // h' − ĥ = (s − 1) Σ_{hit} z d: decode only the scaled-away part.
    const at::Tensor delta = (scaled - values).reshape({b * t, -1});
    out.scores = sae->Decode(delta, indices.reshape({b * t, -1}), /*add_bias=*/false)
                     .view({b, t, d})
                     .pow(2)
                     .mean({1, 2});
  }
  out.flagged = out.scores >= tau;
  out.output = at::where(out.flagged.view({b, 1, 1}), modified, h);
  return out;
}

// y += a·x over d floats, in blocks of eight: with x and y declared apart,
// vectorisable at -O2 (no run-time alias check needed).
inline void Axpy(float a, const float* __restrict x, float* __restrict y, int64_t d) {
  int64_t c = 0;
  for (; c + 8 <= d; c += 8) {
    for (int l = 0; l < 8; ++l) y[c + l] += a * x[c + l];
  }
  for (; c < d; ++c) y[c] += a * x[c];
}

// Σ (a − b)² over d floats, in double.
inline double SquaredDistance(const float* a, const float* b, int64_t d) {
  double sum = 0;
  for (int64_t c = 0; c < d; ++c) {
    const float e = a[c] - b[c];
    sum += static_cast<double>(e) * e;
  }
  return sum;
}

inline double SquaredNorm(const float* a, int64_t d) {
  double sum = 0;
  for (int64_t c = 0; c < d; ++c) sum += static_cast<double>(a[c]) * a[c];
  return sum;
}

// The same on CPU float tensors, straight from the sparse codes: rows in
// parallel, each decoded at most once, into the output; a concept-score row
// with no concept feature among its codes costs nothing, a prompt below τ is
// copied through (docs/benchmarks.md, "ItD gate speed"). Scores add the rows'
// sums in row order, so they do not depend on the thread count.
Deactivation DeactivateEncodedCpu(sae::TopKSae& sae, const at::Tensor& h_in, const at::Tensor& values_in,
                                  const at::Tensor& indices_in, const std::vector<int64_t>& features,
                                  double scale, double tau, ScoreMode mode) {
  const at::Tensor h = h_in.contiguous(), values = values_in.contiguous(), indices = indices_in.contiguous();
  const at::Tensor w_dec = sae->w_dec.detach().contiguous(), b_pre = sae->b_pre.detach().contiguous();
  const int64_t b = h.size(0), t = h.size(1), d = h.size(2), k = values.size(2);
  const int64_t n_latents = w_dec.size(0);
  std::vector<char> is_feature(n_latents, 0);
  for (int64_t f : features) {
    if (f >= 0 && f < n_latents) is_feature[f] = 1;
  }
  Deactivation out;
  out.scores = at::empty({b}, at::kFloat);
  out.flagged = at::empty({b}, at::kBool);
  out.output = at::empty_like(h);
  const float* hp = h.data_ptr<float>();
  const float* vp = values.data_ptr<float>();
  const int64_t* ip = indices.data_ptr<int64_t>();
  const float* dec = w_dec.data_ptr<float>();
  const float* bias = b_pre.data_ptr<float>();
  float* op = out.output.data_ptr<float>();
  const float s = static_cast<float>(scale);
  // Row r decoded with concept features scaled (past BOS): Σ z' d_j + b_pre.
  const auto decode_row = [&](int64_t row) {
    float* dst = op + row * d;
    std::copy(bias, bias + d, dst);
    const bool past_bos = row % t != 0;
    for (int64_t n = 0; n < k; ++n) {
      const int64_t j = ip[row * k + n];
      const float z = vp[row * k + n];
      const float coefficient = past_bos && is_feature[j] ? z * s : z;
      if (coefficient != 0) Axpy(coefficient, dec + j * d, dst, d);
    }
  };
  const int64_t rows = b * t;
  std::vector<double> row_sum(rows, 0.0);
  at::parallel_for(0, rows, 8, [&](int64_t begin, int64_t end) {
    std::vector<float> diff(d);
    for (int64_t row = begin; row < end; ++row) {
      if (mode == ScoreMode::kPaper) {
        decode_row(row);
        row_sum[row] = SquaredDistance(op + row * d, hp + row * d, d);
        continue;
      }
      if (row % t == 0) continue;  // (s − 1) Σ_{hit} z d_j; BOS never hits
      bool any = false;
      for (int64_t n = 0; n < k; ++n) {
        const int64_t j = ip[row * k + n];
        const float z = vp[row * k + n];
        if (!is_feature[j] || z == 0) continue;
        if (!any) std::fill(diff.begin(), diff.end(), 0.0f);
        any = true;
        Axpy(z * s - z, dec + j * d, diff.data(), d);
      }
      if (any) row_sum[row] = SquaredNorm(diff.data(), d);
    }
  });
  float* sp = out.scores.data_ptr<float>();
  bool* fp = out.flagged.data_ptr<bool>();
  for (int64_t i = 0; i < b; ++i) {
    double sum = 0;
    for (int64_t r = 0; r < t; ++r) sum += row_sum[i * t + r];
    sp[i] = static_cast<float>(sum / static_cast<double>(t * d));
    fp[i] = sp[i] >= static_cast<float>(tau);
  }
  at::parallel_for(0, rows, 8, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      if (!fp[row / t]) {
        std::copy(hp + row * d, hp + (row + 1) * d, op + row * d);  // bit for bit
      } else if (mode == ScoreMode::kConcept) {
        decode_row(row);
      }
    }
  });
  return out;
}

}  // namespace

Deactivation DeactivateEncoded(sae::TopKSae& sae, const at::Tensor& h, const at::Tensor& values,
                               const at::Tensor& indices, const std::vector<int64_t>& features, double scale,
                               double tau, ScoreMode mode) {
  torch::NoGradGuard no_grad;
  const bool cpu_float = h.device().is_cpu() && h.scalar_type() == at::kFloat &&
                         values.scalar_type() == at::kFloat && indices.scalar_type() == at::kLong &&
                         sae->w_dec.device().is_cpu() && sae->w_dec.scalar_type() == at::kFloat;
  return cpu_float ? DeactivateEncodedCpu(sae, h, values, indices, features, scale, tau, mode)
                   : DeactivateEncodedTensors(sae, h, values, indices, features, scale, tau, mode);
}

absl::StatusOr<at::Tensor> Scores(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                  sae::TopKSae& sae, int64_t layer, const std::vector<int64_t>& features,
                                  double scale, const std::vector<std::string>& prompts,
                                  clip::Padding padding, ScoreMode mode) {
  if (prompts.empty()) return absl::InvalidArgumentError("no prompts");
  absl::StatusOr<at::Tensor> flat = sae::LayerActivations(model, tokenizer, prompts, layer, padding);
  if (!flat.ok()) return flat.status();
  const int64_t b = static_cast<int64_t>(prompts.size());
  const at::Tensor h = flat->view({b, flat->size(0) / b, flat->size(1)});
  return Deactivate(sae, h, features, scale, 0, mode).scores;
}

double PaperThreshold(const at::Tensor& target_scores) { return 0.99 * target_scores.min().item<double>(); }

FprThreshold ThresholdForFpr(const at::Tensor& neutral_scores, const at::Tensor& target_scores,
                             double max_fpr) {
  const at::Tensor sorted = std::get<0>(neutral_scores.to(at::kFloat).sort(0, /*descending=*/true));
  const int64_t n = sorted.size(0);
  // Allow at most floor(max_fpr · n) neutral prompts at or above τ.
  const int64_t allowed = static_cast<int64_t>(std::floor(max_fpr * static_cast<double>(n)));
  FprThreshold out;
  // Just above the (allowed+1)-th highest neutral score, as a float32 value:
  // scores are float32 and Deactivate compares them to τ in float32.
  out.tau = allowed < n ? static_cast<double>(std::nextafter(sorted[allowed].item<float>(), 1e30f)) : 0.0;
  out.fpr = static_cast<double>(neutral_scores.ge(out.tau).sum().item<int64_t>()) / std::max<int64_t>(n, 1);
  out.tpr = static_cast<double>(target_scores.ge(out.tau).sum().item<int64_t>()) /
            std::max<int64_t>(target_scores.size(0), 1);
  return out;
}

std::vector<int64_t> ConceptRegistry::UnionFeatures() const {
  std::set<int64_t> all;
  for (const auto& [name, features] : concepts) all.insert(features.begin(), features.end());
  return std::vector<int64_t>(all.begin(), all.end());
}

std::string ConceptRegistry::ToJson() const {
  nlohmann::json json = {{"layer", layer},
                         {"scale", scale},
                         {"tau", tau},
                         {"score", ScoreModeName(score)},
                         {"concepts", concepts}};
  return json.dump(2) + "\n";
}

absl::StatusOr<ConceptRegistry> ConceptRegistry::FromJson(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("concepts") || !json["concepts"].is_object() ||
      !json.value("layer", nlohmann::json()).is_number_integer() ||
      !json.value("scale", nlohmann::json()).is_number() ||
      !json.value("tau", nlohmann::json()).is_number()) {
    return absl::InvalidArgumentError(
        "concept registry: expected {layer, scale, tau, concepts: {name: [ids]}}");
  }
  ConceptRegistry r;
  r.layer = json["layer"];
  r.scale = json["scale"];
  r.tau = json["tau"];
  if (json.contains("score")) {
    absl::StatusOr<ScoreMode> mode =
        json["score"].is_string()
            ? ParseScoreMode(json["score"].get<std::string>())
            : absl::InvalidArgumentError("concept registry: \"score\" must be a string");
    if (!mode.ok()) return mode.status();
    r.score = *mode;
  }
  for (const auto& [name, ids] : json["concepts"].items()) {
    if (!ids.is_array())
      return absl::InvalidArgumentError(absl::StrCat("concept \"", name, "\": not a list"));
    std::vector<int64_t> features;
    for (const auto& id : ids) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0) {
        return absl::InvalidArgumentError(absl::StrCat("concept \"", name, "\": feature ids must be >= 0"));
      }
      features.push_back(id.get<int64_t>());
    }
    r.concepts[name] = std::move(features);
  }
  return r;
}

}  // namespace warden::itd
