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
  if (cpu_float) {
    e.pre = at::addmm(b_lat, h - b_pre, w_enc.t());
    e.indices = TopKIndicesByRow(e.pre, k);
    e.values = at::relu(e.pre.gather(1, e.indices));  // differentiable in pre
    return e;
  }
  e.pre = at::matmul(h - b_pre, w_enc.t()) + b_lat;
  auto top = e.pre.topk(k, -1);
  e.values = at::relu(std::get<0>(top));
  e.indices = std::get<1>(top);
  return e;
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

StepLosses TrainStep(TopKSae& sae, torch::optim::Optimizer& optimizer, const at::Tensor& h,
                     double mse_scale) {
  const SaeConfig& c = sae->config();
  auto e = sae->Encode(h);
  const at::Tensor recon = sae->Decode(e.values, e.indices);
  const at::Tensor mse = (recon - h).pow(2).mean();
  at::Tensor loss = mse_scale * mse;
  StepLosses out;
  // Dead latents: no kept value above the threshold for dead_steps steps.
  {
    torch::NoGradGuard no_grad;
    at::Tensor fired = at::zeros({c.n_latents}, at::kBool);
    fired.index_put_({e.indices.masked_select(e.values > c.fire_threshold)}, true);
    sae->steps_since_fired.add_(1).masked_fill_(fired, 0);
  }
  const at::Tensor dead = sae->steps_since_fired > c.dead_steps;
  out.dead = dead.sum().item<int64_t>();
  if (out.dead > 0 && c.auxk > 0) {
    // AuxK: the dead latents' top pre-activations model the residual.
    const at::Tensor masked = e.pre.masked_fill(dead.logical_not().unsqueeze(0), -1e30);
    auto top = masked.topk(std::min<int64_t>(c.auxk, out.dead), 1);
    const at::Tensor aux_values = at::relu(std::get<0>(top));
    const at::Tensor aux_recon = sae->Decode(aux_values, std::get<1>(top), /*add_bias=*/false);
    // The spec's NMSE(auxk_recon + b_pre, h − ĥ + b_pre): the same numbers
    // without the shared b_pre on both sides.
    const at::Tensor residual = h - recon.detach();
    const at::Tensor nmse = (aux_recon - residual).pow(2).mean() /
                            (residual.mean(0, true) - residual).pow(2).mean().clamp_min(1e-12);
    loss = loss + c.auxk_coef * nmse;
    out.auxk = nmse.item<double>();
  }
  optimizer.zero_grad();
  loss.backward();
  sae->ConstrainDecoder();
  optimizer.step();
  {
    torch::NoGradGuard no_grad;
    sae->w_dec.div_(sae->w_dec.norm(2, 1, true).clamp_min(1e-12));
  }
  out.mse = mse.item<double>();
  out.scaled = mse_scale * out.mse;
  out.fvu = out.mse / (h.mean(0, true) - h).pow(2).mean().clamp_min(1e-12).item<double>();
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
