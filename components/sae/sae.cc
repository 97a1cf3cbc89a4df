#include "components/sae/sae.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "components/tensor/runtime.h"
#include "components/tensor/safetensors.h"
#include "components/tensor/safetensors_torch.h"

namespace warden::sae {

TopKSaeImpl::TopKSaeImpl(const SaeConfig& config) : config_(config) {
  const int64_t n = config.n_latents, d = config.d_model;
  // nn.Linear's default (Kaiming-uniform, bound 1/sqrt(d)), then the tied init
  // of the spec: decoder = encoder rows, normalised.
  const double bound = 1.0 / std::sqrt(static_cast<double>(d));
  w_enc = register_parameter("w_enc", torch::empty({n, d}).uniform_(-bound, bound));
  w_dec = register_parameter("w_dec", w_enc.detach().clone());
  b_pre = register_parameter("b_pre", torch::zeros({d}));
  b_lat = register_parameter("b_lat", torch::zeros({n}));
  steps_since_fired = torch::zeros({n}, torch::kLong);
  ConstrainDecoder();
}

namespace {

// Row-wise top-k indices of a float CPU matrix with the portable core's
// one-pass heap, rows in parallel (torch's CPU topk sorts far more per row).
at::Tensor TopKIndicesByRow(const at::Tensor& pre, int64_t k) {
  const at::Tensor p = pre.detach().contiguous();
  const int64_t rows = p.size(0), n = p.size(1);
  at::Tensor out = at::empty({rows, k}, at::kInt);
  const float* in = p.data_ptr<float>();
  int32_t* idx = out.data_ptr<int32_t>();
  at::parallel_for(0, rows, 8, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      TopKIndices(in + r * n, static_cast<int>(n), static_cast<int>(k), idx + r * k);
    }
  });
  return out.to(at::kLong);
}

}  // namespace

const at::Tensor& TopKSaeImpl::FoldedBias() {
  const std::array<int64_t, 3> versions = {static_cast<int64_t>(w_enc._version()),
                                           static_cast<int64_t>(b_pre._version()),
                                           static_cast<int64_t>(b_lat._version())};
  if (!folded_bias_.defined() || versions != folded_versions_) {
    torch::NoGradGuard no_grad;
    folded_bias_ = (b_lat - at::mv(w_enc, b_pre)).to(at::kFloat).contiguous();
    folded_versions_ = versions;
  }
  return folded_bias_;
}

TopKSaeImpl::Encoded TopKSaeImpl::Encode(const at::Tensor& h) {
  Encoded e;
  const int64_t k = std::min(config_.k, config_.n_latents);
  const bool cpu_float = h.dim() == 2 && h.device().is_cpu() && w_enc.device().is_cpu() &&
                         w_enc.scalar_type() == at::kFloat && h.scalar_type() == at::kFloat;
  if (cpu_float && !at::GradMode::is_enabled()) {
    // Inference: u = h W_encᵀ + (b_lat − W_enc b_pre), the bias folded into the
    // top-k scan, which also writes the kept values (no pass over all of u).
    const at::Tensor u = tensor::RowParallelMm(h.contiguous(), w_enc.t());
    const at::Tensor& bias = FoldedBias();
    const int64_t rows = u.size(0), n = u.size(1);
    e.values = at::empty({rows, k}, at::kFloat);
    e.indices = at::empty({rows, k}, at::kLong);
    const float* up = u.data_ptr<float>();
    const float* bp = bias.data_ptr<float>();
    float* vp = e.values.data_ptr<float>();
    int64_t* ip = e.indices.data_ptr<int64_t>();
    at::parallel_for(0, rows, 8, [&](int64_t begin, int64_t end) {
      std::vector<int32_t> idx(k);
      for (int64_t r = begin; r < end; ++r) {
        const float* ur = up + r * n;
        TopKIndicesBiased(ur, bp, static_cast<int>(n), static_cast<int>(k), idx.data());
        for (int64_t i = 0; i < k; ++i) {
          ip[r * k + i] = idx[i];
          vp[r * k + i] = std::max(0.0f, ur[idx[i]] + bp[idx[i]]);
        }
      }
    });
    return e;
  }
  // Training: the dense GEMM only picks the latents (no grad, so its backward
  // is never formed); the kept values are recomputed from the selected rows.
  {
    torch::NoGradGuard no_grad;
    e.pre = cpu_float ? at::addmm(b_lat, h - b_pre, w_enc.t()) : at::matmul(h - b_pre, w_enc.t()) + b_lat;
    e.indices = cpu_float ? TopKIndicesByRow(e.pre, k) : std::get<1>(e.pre.topk(k, -1));
  }
  e.values = at::relu(PreactivationsAt(h, e.indices));
  return e;
}

at::Tensor TopKSaeImpl::PreactivationsAt(const at::Tensor& h, const at::Tensor& indices) {
  const int64_t n = indices.size(0), m = indices.size(1), d = h.size(1);
  const at::Tensor flat = indices.reshape({-1});
  const at::Tensor rows = w_enc.index_select(0, flat).view({n, m, d});
  return at::bmm(rows, (h - b_pre).unsqueeze(2)).squeeze(2) + b_lat.index_select(0, flat).view({n, m});
}

at::Tensor TopKSaeImpl::Decode(const at::Tensor& values, const at::Tensor& indices, bool add_bias) {
  const int64_t n = values.size(0), k = values.size(1);
  const at::Tensor rows = w_dec.index_select(0, indices.reshape({-1})).view({n, k, -1});
  at::Tensor out = (rows * values.unsqueeze(-1)).sum(1);
  return add_bias ? out + b_pre : out;
}

at::Tensor TopKSaeImpl::DenseCode(const Encoded& e) const {
  return at::zeros({e.values.size(0), config_.n_latents}, e.values.options()).scatter(1, e.indices, e.values);
}

void TopKSaeImpl::ConstrainDecoder() {
  torch::NoGradGuard no_grad;
  w_dec.div_(w_dec.norm(2, 1, /*keepdim=*/true).clamp_min(1e-12));
  if (w_dec.grad().defined()) {
    at::Tensor g = w_dec.mutable_grad();
    g.sub_((g * w_dec).sum(1, /*keepdim=*/true) * w_dec);
  }
}

at::Tensor GeometricMedian(const at::Tensor& x) {
  at::Tensor median = x.mean(0);
  for (int i = 0; i < 100; ++i) {
    const at::Tensor weights = 1.0 / (x - median).norm(2, 1).clamp_min(1e-6);
    const at::Tensor next = (weights.unsqueeze(1) * x).sum(0) / weights.sum();
    const double moved = (next - median).norm().item<double>();
    median = next;
    if (moved < 1e-6) break;
  }
  return median;
}

namespace {

// Σ_c Σ_i (x_ic − mean_c)² / (N·d) from the per-column sums Σx and Σx² over N rows.
double MeanVariance(const at::Tensor& sum, const at::Tensor& sum_sq, double n) {
  return ((sum_sq - sum.pow(2) / n).sum() / (n * static_cast<double>(sum.size(0)))).item<double>();
}

}  // namespace

StepLosses TrainStep(TopKSae& sae, torch::optim::Optimizer& optimizer, const at::Tensor& h,
                     double mse_scale) {
  return *TrainStep(sae, optimizer, h, mse_scale, nullptr);  // cannot fail without a collective
}

absl::StatusOr<StepLosses> TrainStep(TopKSae& sae, torch::optim::Optimizer& optimizer, const at::Tensor& h,
                                     double mse_scale, StepCollective* collective) {
  const SaeConfig& c = sae->config();
  const int64_t d = h.size(1), n = c.n_latents;
  auto e = sae->Encode(h);
  const at::Tensor recon = sae->Decode(e.values, e.indices);
  const at::Tensor residual = h - recon.detach();
  // The batch statistics every rank needs, in one reduction (double, so the
  // sums of squares keep their digits): [tokens | Σh | Σh² | Σr | Σr² | fired].
  at::Tensor stats;
  {
    torch::NoGradGuard no_grad;
    const at::Tensor hd = h.to(at::kDouble), rd = residual.to(at::kDouble);
    at::Tensor fired = at::zeros({n}, at::kDouble);
    fired.index_put_({e.indices.masked_select(e.values > c.fire_threshold)}, 1.0);
    stats = at::cat({at::full({1}, static_cast<double>(h.size(0)), at::kDouble), hd.sum(0), hd.pow(2).sum(0),
                     rd.sum(0), rd.pow(2).sum(0), fired});
    if (collective != nullptr) {
      if (absl::Status s = collective->SumInPlace(stats); !s.ok()) return s;
    }
  }
  const double tokens = stats[0].item<double>();
  auto part = [&](int64_t i, int64_t len) { return stats.slice(0, 1 + i * d, 1 + i * d + len); };
  const double h_variance = MeanVariance(part(0, d), part(1, d), tokens);
  const double r_variance = MeanVariance(part(2, d), part(3, d), tokens);
  const at::Tensor fired = part(4, n) > 0;

  StepLosses out;
  out.tokens = static_cast<int64_t>(tokens);
  const double elements = tokens * static_cast<double>(d);
  // This rank's share of the global mean: Σ over its rows / (global N·d).
  const at::Tensor sse = (recon - h).pow(2).sum();
  at::Tensor loss = (mse_scale / elements) * sse;
  // Dead latents: no kept value above the threshold for dead_steps steps.
  {
    torch::NoGradGuard no_grad;
    sae->steps_since_fired.add_(1).masked_fill_(fired, 0);
  }
  const at::Tensor dead = sae->steps_since_fired > c.dead_steps;
  out.dead = dead.sum().item<int64_t>();
  at::Tensor aux_sse = at::zeros({}, at::kFloat);
  at::Tensor aux_indices;
  if (out.dead > 0 && c.auxk > 0) {
    // AuxK: the dead latents' top pre-activations model the residual. The
    // spec's NMSE(auxk_recon + b_pre, h − ĥ + b_pre): the same numbers without
    // the shared b_pre on both sides; its denominator is the global variance.
    {
      torch::NoGradGuard no_grad;
      const at::Tensor masked = e.pre.masked_fill(dead.logical_not().unsqueeze(0), -1e30);
      aux_indices = std::get<1>(masked.topk(std::min<int64_t>(c.auxk, out.dead), 1));
    }
    const at::Tensor aux_values = at::relu(sae->PreactivationsAt(h, aux_indices));
    const at::Tensor aux_recon = sae->Decode(aux_values, aux_indices, /*add_bias=*/false);
    aux_sse = (aux_recon - residual).pow(2).sum();
    loss = loss + (c.auxk_coef / (elements * std::max(r_variance, 1e-12))) * aux_sse;
  }
  optimizer.zero_grad();
  loss.backward();
  // Sum the gradients (and the two loss numerators, for the report) over ranks.
  at::Tensor sums = at::stack({sse.detach(), aux_sse.detach()}).to(at::kDouble);
  if (collective != nullptr) {
    torch::NoGradGuard no_grad;
    // Only the latents some rank selected (top-k or AuxK) have non-zero
    // W_enc, W_dec and b_lat gradient rows on any rank: reduce those rows.
    at::Tensor touched = at::zeros({n}, at::kFloat);
    touched.index_put_({e.indices.reshape({-1})}, 1.0f);
    if (aux_indices.defined()) touched.index_put_({aux_indices.reshape({-1})}, 1.0f);
    if (absl::Status s = collective->SumInPlace(touched); !s.ok()) return s;
    const at::Tensor rows = touched.nonzero().reshape({-1});
    for (at::Tensor* p : {&sae->w_enc, &sae->w_dec, &sae->b_lat, &sae->b_pre}) {
      if (!p->grad().defined()) p->mutable_grad() = at::zeros_like(*p);
    }
    const int64_t r = rows.size(0);
    at::Tensor flat =
        at::cat({sae->w_enc.grad().index_select(0, rows).reshape({-1}),
                 sae->w_dec.grad().index_select(0, rows).reshape({-1}),
                 sae->b_lat.grad().index_select(0, rows), sae->b_pre.grad(), sums.to(at::kFloat)});
    if (absl::Status s = collective->SumInPlace(flat); !s.ok()) return s;
    sae->w_enc.mutable_grad().index_copy_(0, rows, flat.slice(0, 0, r * d).view({r, d}));
    sae->w_dec.mutable_grad().index_copy_(0, rows, flat.slice(0, r * d, 2 * r * d).view({r, d}));
    sae->b_lat.mutable_grad().index_copy_(0, rows, flat.slice(0, 2 * r * d, 2 * r * d + r));
    sae->b_pre.mutable_grad().copy_(flat.slice(0, 2 * r * d + r, 2 * r * d + r + d));
    sums = flat.slice(0, 2 * r * d + r + d).to(at::kDouble);
  }
  sae->ConstrainDecoder();
  optimizer.step();
  {
    torch::NoGradGuard no_grad;
    sae->w_dec.div_(sae->w_dec.norm(2, 1, true).clamp_min(1e-12));
  }
  out.mse = sums[0].item<double>() / elements;
  out.scaled = mse_scale * out.mse;
  out.auxk = out.dead > 0 && c.auxk > 0 ? sums[1].item<double>() / elements / std::max(r_variance, 1e-12) : 0;
  out.fvu = out.mse / std::max(h_variance, 1e-12);
  return out;
}

SaeWeights ToPortable(TopKSae& sae) {
  auto copy = [](const at::Tensor& t) {
    const at::Tensor c = t.detach().to(at::kCPU, at::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  SaeWeights w;
  w.d_model = static_cast<int>(sae->config().d_model);
  w.n_latents = static_cast<int>(sae->config().n_latents);
  w.w_enc = copy(sae->w_enc);
  w.w_dec = copy(sae->w_dec);
  w.b_pre = copy(sae->b_pre);
  w.b_lat = copy(sae->b_lat);
  return w;
}

absl::Status SaveSae(TopKSae& sae, const std::string& path, bool half) {
  const SaeConfig& c = sae->config();
  const nlohmann::json config = {{"d_model", c.d_model},
                                 {"n_latents", c.n_latents},
                                 {"k", c.k},
                                 {"auxk", c.auxk},
                                 {"dead_steps", c.dead_steps}};
  auto stored = [half](const at::Tensor& t) { return half ? t.detach().to(at::kHalf) : t.detach(); };
  return tensor::SaveSafetensors(path,
                                 {{"w_enc", stored(sae->w_enc)},
                                  {"w_dec", stored(sae->w_dec)},
                                  {"b_pre", stored(sae->b_pre)},
                                  {"b_lat", stored(sae->b_lat)}},
                                 {{"warden.sae", config.dump()}});
}

absl::StatusOr<TopKSae> LoadSae(const std::string& path) {
  std::map<std::string, std::string> metadata;
  absl::StatusOr<tensor::NamedTensors> tensors = tensor::LoadSafetensors(path, &metadata);
  if (!tensors.ok()) return tensors.status();
  const nlohmann::json config =
      nlohmann::json::parse(metadata["warden.sae"], nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("d_model") || !config.contains("n_latents") ||
      !config.contains("k") || !config["d_model"].is_number_integer() ||
      !config["n_latents"].is_number_integer() || !config["k"].is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no valid \"warden.sae\" metadata"));
  }
  SaeConfig c;
  c.d_model = config["d_model"];
  c.n_latents = config["n_latents"];
  c.k = config["k"];
  if (c.d_model < 1 || c.n_latents < 1 || c.k < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": SAE sizes must be positive"));
  }
  TopKSae sae(c);
  torch::NoGradGuard no_grad;
  std::map<std::string, at::Tensor> params = {
      {"w_enc", sae->w_enc}, {"w_dec", sae->w_dec}, {"b_pre", sae->b_pre}, {"b_lat", sae->b_lat}};
  size_t found = 0;
  for (const auto& [name, value] : *tensors) {
    auto it = params.find(name);
    if (it == params.end())
      return absl::InvalidArgumentError(absl::StrCat(path, ": unexpected tensor \"", name, "\""));
    if (value.sizes() != it->second.sizes() || !at::isFloatingType(value.scalar_type())) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tensor \"", name, "\" has the wrong shape or dtype"));
    }
    it->second.copy_(value);
    ++found;
  }
  if (found != params.size()) return absl::InvalidArgumentError(absl::StrCat(path, ": missing SAE tensors"));
  return sae;
}

}  // namespace warden::sae
