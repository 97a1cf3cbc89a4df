#include "components/reaas/bounds.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "components/tensor/random.h"

namespace warden::reaas {
namespace {

namespace F = torch::nn::functional;

std::vector<int64_t> OneInput(const AffineLayer& layer) {
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), layer.input_shape.begin(), layer.input_shape.end());
  return shape;
}

absl::StatusOr<at::Tensor> OneImage(const FoldedEncoder& encoder, const at::Tensor& x) {
  const std::vector<int64_t> want = OneInput(encoder.layers.front());
  at::Tensor image = x.dim() + 1 == static_cast<int64_t>(want.size()) ? x.unsqueeze(0) : x;
  if (image.sizes().vec() != want || !image.is_floating_point()) {
    return absl::InvalidArgumentError(absl::StrCat("need one float image of ", want[1], " x ", want[2], " x ",
                                                   want[3], ", got ", x.sizes().vec().size(), " dims"));
  }
  if (!at::isfinite(image).all().item<bool>()) return absl::InvalidArgumentError("the image has NaN or Inf");
  return image.to(at::kFloat);
}

// |W| applied to a non-negative radius (interval arithmetic's spread).
at::Tensor AbsLinear(const AffineLayer& layer, const at::Tensor& radius) {
  if (!layer.conv) return radius.flatten(1).mm(layer.weight.abs().t());
  return F::conv2d(radius, layer.weight.abs(),
                   F::Conv2dFuncOptions().stride(layer.stride).padding(layer.padding));
}

// ‖row‖₂ of every output of the first layer, with the taps that fall on
// zero padding left out: exact for an ℓ2 ball.
at::Tensor RowNorms(const AffineLayer& layer) {
  if (!layer.conv) return layer.weight.norm(2, 1).unsqueeze(0);
  return F::conv2d(at::ones(OneInput(layer)), layer.weight.pow(2),
                   F::Conv2dFuncOptions().stride(layer.stride).padding(layer.padding))
      .sqrt();
}

// What back-substitution needs about layer l: its output shape (without the
// batch) and its bias spread over that shape, flattened (n_l).
struct LayerGeometry {
  std::vector<int64_t> output_shape;
  at::Tensor bias;
};

std::vector<LayerGeometry> Geometry(const FoldedEncoder& encoder) {
  std::vector<LayerGeometry> geometry;
  for (const AffineLayer& layer : encoder.layers) {
    const at::Tensor b = layer.Apply(at::zeros(OneInput(layer)));
    geometry.push_back({b.sizes().slice(1).vec(), b.flatten()});
  }
  return geometry;
}

at::Tensor Batched(const at::Tensor& rows, const std::vector<int64_t>& shape) {
  std::vector<int64_t> full = {rows.size(0)};
  full.insert(full.end(), shape.begin(), shape.end());
  return rows.view(full);
}

// The linear relaxation of ReLU on [l, u], per neuron: h ≤ upper_slope·z +
// upper_intercept and h ≥ lower_slope·z. Proven-active neurons pass z, dead
// ones give 0; an unstable one gets the chord above and, below, z or 0,
// whichever leaves the smaller area (CROWN's adaptive choice: z iff u ≥ −l).
struct ReluRelaxation {
  at::Tensor upper_slope, upper_intercept, lower_slope;
};

ReluRelaxation Relax(const at::Tensor& l, const at::Tensor& u) {
  const at::Tensor active = l >= 0, unstable = (l < 0) & (u > 0);
  const at::Tensor chord = u / (u - l).clamp_min(1e-30);
  ReluRelaxation r;
  r.upper_slope = at::where(unstable, chord, active.to(at::kFloat));
  r.upper_intercept = at::where(unstable, -chord * l, at::zeros_like(l));
  r.lower_slope = at::where(unstable, (u >= -l).to(at::kFloat), active.to(at::kFloat));
  return r;
}

// Upper bounds over ‖x − x0‖₂ ≤ r of the linear functions `lambda` (m × n_k)
// of layer k's pre-activations: each is carried back to the input through
// the layers' adjoints and the ReLUs' relaxations (the upper relaxation where
// a coefficient is positive, the lower where it is negative), and the final
// a·x + c is maximised in closed form: a·x0 + c + r‖a‖₂.
at::Tensor BackSubstitute(const FoldedEncoder& encoder, const std::vector<LayerGeometry>& geometry,
                          const std::vector<ReluRelaxation>& relax, size_t k, at::Tensor lambda,
                          const at::Tensor& x0, double r) {
  at::Tensor constant = lambda.mv(geometry[k].bias);
  for (size_t j = k; j-- > 0;) {
    lambda = encoder.layers[j + 1].Adjoint(Batched(lambda, geometry[j + 1].output_shape)).flatten(1);
    const at::Tensor positive = lambda.clamp_min(0), negative = lambda.clamp_max(0);
    constant += positive.mv(relax[j].upper_intercept);
    lambda = positive * relax[j].upper_slope + negative * relax[j].lower_slope;
    constant += lambda.mv(geometry[j].bias);
  }
  lambda = encoder.layers[0].Adjoint(Batched(lambda, geometry[0].output_shape)).flatten(1);
  return lambda.mv(x0.flatten()) + constant + r * lambda.norm(2, 1);
}

// The size × size windows of `maps` (C × H × W) over the receptive fields of
// the grid positions `position` (flat indices into an out_h × out_w grid):
// window (i, j) starts at (i·stride − offset, j·stride − offset); zeros
// outside the maps. m × C × size × size.
at::Tensor FieldWindows(const at::Tensor& maps, int64_t stride, int64_t offset, int64_t size, int64_t out_h,
                        int64_t out_w, const at::Tensor& position) {
  const int64_t need_h = (out_h - 1) * stride + size, need_w = (out_w - 1) * stride + size;
  at::Tensor padded = F::pad(
      maps.unsqueeze(0), F::PadFuncOptions({offset, std::max<int64_t>(0, need_w - offset - maps.size(2)),
                                            offset, std::max<int64_t>(0, need_h - offset - maps.size(1))}));
  padded = padded.narrow(2, 0, need_h).narrow(3, 0, need_w);
  const at::Tensor columns = F::unfold(padded, F::UnfoldFuncOptions({size, size}).stride(stride))[0];
  return columns.index_select(1, position).t().reshape({position.numel(), maps.size(0), size, size});
}

// BackSubstitute for neurons of a conv layer k above conv layers only, in
// "patches" form (as auto_LiRPA's patches mode): a neuron's coefficients are
// nonzero only on its receptive field, so each is carried as a C × P × P
// patch instead of a full map — at layer 1 of the default encoder 144
// numbers per neuron instead of 12,544. Row i bounds sign[i] · z_k[index[i]]
// from above.
at::Tensor BackSubstitutePatches(const FoldedEncoder& encoder, const std::vector<LayerGeometry>& geometry,
                                 const std::vector<ReluRelaxation>& relax, size_t k, const at::Tensor& index,
                                 const at::Tensor& sign, const at::Tensor& x0, double r) {
  const std::vector<int64_t>& shape = geometry[k].output_shape;  // C, H, W
  const int64_t m = index.numel(), plane = shape[1] * shape[2];
  const at::Tensor channel = index.div(plane, "floor"), position = index.remainder(plane);
  at::Tensor patch = at::zeros({m, shape[0], 1, 1});
  const at::Tensor zero = at::zeros({m}, at::kLong);
  patch.index_put_({at::arange(m, at::kLong), channel, zero, zero}, sign);
  at::Tensor constant = sign * geometry[k].bias.index({index});
  // Neuron (i, j)'s field one layer down starts at (i·stride − offset, …).
  int64_t size = 1, stride = 1, offset = 0;
  auto windows = [&](const at::Tensor& maps) {
    return FieldWindows(maps, stride, offset, size, shape[1], shape[2], position);
  };
  for (int64_t j = static_cast<int64_t>(k);; --j) {
    const AffineLayer& layer = encoder.layers[j];
    patch = F::conv_transpose2d(patch, layer.weight, F::ConvTranspose2dFuncOptions().stride(layer.stride));
    size = (size - 1) * layer.stride + layer.weight.size(2);
    offset = offset * layer.stride + layer.padding;
    stride *= layer.stride;
    if (j == 0) break;
    // Coefficients on h_{j−1} = ReLU(z_{j−1}); positions in the zero padding
    // hold constants, and the windows give them zero slopes and biases.
    const std::vector<int64_t>& below = geometry[j - 1].output_shape;
    const ReluRelaxation& relu = relax[j - 1];
    const std::vector<at::Tensor> w =
        windows(at::cat({relu.upper_slope, relu.upper_intercept, relu.lower_slope, geometry[j - 1].bias})
                    .view({4 * below[0], below[1], below[2]}))
            .chunk(4, 1);
    const at::Tensor positive = patch.clamp_min(0), negative = patch.clamp_max(0);
    constant += (positive * w[1]).sum({1, 2, 3});
    patch = positive * w[0] + negative * w[2];
    constant += (patch * w[3]).sum({1, 2, 3});
  }
  // At the input, positions outside the image are zero padding, not pixels.
  const at::Tensor image = x0.squeeze(0);
  const std::vector<at::Tensor> w = windows(at::cat({image, at::ones_like(image)})).chunk(2, 1);
  patch = patch * w[1];
  return (patch * w[0]).sum({1, 2, 3}) + constant + r * patch.flatten(1).norm(2, 1);
}

// Tightens layer k's bounds (n_k each) at `rows` (their flat indices) by
// back-substitution, both sides at once (lower = −upper of −e_i), in chunks
// that keep each 2m × n_j coefficient block near `chunk_floats`.
void TightenByBackSubstitution(const FoldedEncoder& encoder, const std::vector<LayerGeometry>& geometry,
                               const std::vector<ReluRelaxation>& relax, size_t k, const at::Tensor& rows,
                               const at::Tensor& x0, double r, const BoundOptions& options, at::Tensor& lower,
                               at::Tensor& upper) {
  bool all_conv = true;
  for (size_t j = 0; j <= k; ++j) all_conv = all_conv && encoder.layers[j].conv;
  const bool patches = options.patches && all_conv;
  int64_t widest = geometry[k].bias.numel();
  for (size_t j = 0; j < k; ++j) widest = std::max(widest, geometry[j].bias.numel());
  const int64_t chunk = std::max<int64_t>(1, options.chunk_floats / (2 * widest));
  const int64_t n = geometry[k].bias.numel();
  for (int64_t start = 0; start < rows.numel(); start += chunk) {
    const at::Tensor index = rows.slice(0, start, std::min(rows.numel(), start + chunk));
    const int64_t m = index.numel();
    at::Tensor bound;
    if (patches) {
      bound = BackSubstitutePatches(encoder, geometry, relax, k, at::cat({index, index}),
                                    at::cat({at::ones({m}), -at::ones({m})}), x0, r);
    } else {
      at::Tensor spec = at::zeros({2 * m, n});
      const at::Tensor arange = at::arange(m, at::kLong);
      spec.index_put_({arange, index}, at::ones({m}));
      spec.index_put_({arange + m, index}, -at::ones({m}));
      bound = BackSubstitute(encoder, geometry, relax, k, spec, x0, r);
    }
    upper.index_put_({index}, at::minimum(upper.index({index}), bound.slice(0, 0, m)));
    lower.index_put_({index}, at::maximum(lower.index({index}), -bound.slice(0, m)));
  }
}

}  // namespace

double OperatorNorm(const AffineLayer& layer, const at::Tensor& mask, const PowerIteration& o,
                    const at::Tensor& start, at::Tensor* vector) {
  torch::NoGradGuard no_grad;
  at::Tensor v;
  if (start.defined()) {
    v = start.clone();
  } else {
    at::Generator gen = tensor::MakeCpuGenerator(o.seed, 71);
    v = at::randn(OneInput(layer), gen);
  }
  if (mask.defined()) v.mul_(mask);
  double norm = v.norm().item<double>();
  if (norm == 0) return 0;
  v.div_(norm);
  double estimate = 0;
  for (int64_t i = 0; i < o.max_iterations; ++i) {
    const at::Tensor u = layer.Linear(v);
    const double next = u.norm().item<double>();  // ‖W M v‖ with ‖v‖ = 1: grows to the norm
    at::Tensor w = layer.Adjoint(u);
    if (mask.defined()) w.mul_(mask);
    const double w_norm = w.norm().item<double>();
    if (w_norm == 0) return 0;
    v = w / w_norm;
    const bool converged = std::abs(next - estimate) <= o.tolerance * next;
    estimate = next;
    if (converged) break;
  }
  if (vector != nullptr) *vector = v;
  return estimate * (1 + kNormMargin);
}

LipschitzBound GlobalLipschitz(const FoldedEncoder& encoder, const PowerIteration& options) {
  LipschitzBound b;
  b.lipschitz = 1;
  for (const AffineLayer& layer : encoder.layers) {
    at::Tensor v;
    b.layer_norms.push_back(OperatorNorm(layer, {}, options, {}, &v));
    b.vectors.push_back(v);
    b.lipschitz *= b.layer_norms.back();
  }
  return b;
}

absl::StatusOr<double> LipschitzRadius(const LipschitzBound& bound, double feature_radius) {
  if (!(feature_radius >= 0) || std::isinf(feature_radius))
    return absl::InvalidArgumentError(
        absl::StrCat("the feature radius must be finite and >= 0, got ", feature_radius));
  if (!(bound.lipschitz > 0)) return std::numeric_limits<double>::infinity();  // a constant encoder
  return feature_radius * (1 - kStrict) / bound.lipschitz;
}

double BallBounds::deviation() const { return std::min(box_deviation, local_lipschitz * radius); }

absl::StatusOr<BallBounds> BoundBall(const FoldedEncoder& encoder, const LipschitzBound& global,
                                     const at::Tensor& x, double r, const BoundOptions& options,
                                     double enough) {
  if (!(r >= 0) || std::isinf(r))
    return absl::InvalidArgumentError(absl::StrCat("need a radius r >= 0, got ", r));
  if (global.layer_norms.size() != encoder.layers.size() || global.vectors.size() != encoder.layers.size())
    return absl::InvalidArgumentError("the Lipschitz bound is not this encoder's");
  absl::StatusOr<at::Tensor> image = OneImage(encoder, x);
  if (!image.ok()) return image.status();
  torch::NoGradGuard no_grad;
  const size_t depth = encoder.layers.size();
  const std::vector<LayerGeometry> geometry =
      options.relaxation == Relaxation::kLinear ? Geometry(encoder) : std::vector<LayerGeometry>();
  // Pre-activation bounds of every layer, flattened (n_l).
  std::vector<at::Tensor> lower(depth), upper(depth);
  std::vector<ReluRelaxation> relax;
  {
    const AffineLayer& first = encoder.layers.front();
    const at::Tensor center = first.Apply(*image).flatten(), spread = RowNorms(first).flatten() * r;
    lower[0] = center - spread;
    upper[0] = center + spread;
  }
  BallBounds b;
  b.radius = r;
  for (size_t k = 1; k < depth; ++k) {
    const AffineLayer& layer = encoder.layers[k];
    // Intervals from the previous layer's bounds: dead inputs are zero on
    // the whole ball.
    const at::Tensor lo = lower[k - 1].relu().view(OneInput(layer)),
                     hi = upper[k - 1].relu().view(OneInput(layer));
    const at::Tensor mid = layer.Apply((lo + hi) / 2), half = AbsLinear(layer, (hi - lo) / 2);
    lower[k] = (mid - half).flatten();
    upper[k] = (mid + half).flatten();
    if (options.relaxation != Relaxation::kLinear) continue;
    relax.push_back(Relax(lower[k - 1], upper[k - 1]));
    // Hidden layers: only the neurons the intervals leave unstable matter;
    // the output layer: every feature.
    const at::Tensor rows = k + 1 < depth ? ((lower[k] < 0) & (upper[k] > 0)).nonzero().flatten()
                                          : at::arange(lower[k].numel(), at::kLong);
    if (rows.numel() > 0)
      TightenByBackSubstitution(encoder, geometry, relax, k, rows, *image, r, options, lower[k], upper[k]);
  }
  for (size_t k = 0; k + 1 < depth; ++k)
    b.unstable += ((lower[k] < 0) & (upper[k] > 0)).sum().item<int64_t>();
  const at::Tensor f = encoder.Forward(*image).flatten();
  b.lower = lower.back();
  b.upper = upper.back();
  b.box_deviation = at::maximum(b.upper - f, f - b.lower).clamp_min(0).norm().item<double>();
  b.local_lipschitz = global.lipschitz;
  using LocalLipschitz = BoundOptions::LocalLipschitz;
  const bool local =
      options.local_lipschitz == LocalLipschitz::kAlways ||
      (options.local_lipschitz == LocalLipschitz::kAuto && options.relaxation == Relaxation::kInterval);
  if (!local || (enough > 0 && b.box_deviation <= enough)) return b;
  // Masked norms, each warm-started from the layer's top singular vector.
  b.local_lipschitz = global.layer_norms.front();
  for (size_t l = 1; l < depth; ++l) {
    const at::Tensor mask = (upper[l - 1] > 0).to(at::kFloat).view(OneInput(encoder.layers[l]));
    b.local_lipschitz *= mask.min().item<float>() == 1
                             ? global.layer_norms[l]
                             : OperatorNorm(encoder.layers[l], mask, options.power, global.vectors[l]);
  }
  return b;
}

absl::StatusOr<PropagationResult> PropagationRadius(const FoldedEncoder& encoder,
                                                    const LipschitzBound& global, const at::Tensor& x,
                                                    double feature_radius, const BoundOptions& options,
                                                    double tolerance) {
  if (!(tolerance > 0)) return absl::InvalidArgumentError("the tolerance must be > 0");
  absl::StatusOr<double> lipschitz = LipschitzRadius(global, feature_radius);
  if (!lipschitz.ok()) return lipschitz.status();
  PropagationResult result;
  result.radius = *lipschitz;  // verified by (a) already
  if (result.radius == 0 || std::isinf(result.radius)) return result;
  const double target = feature_radius * (1 - kStrict);
  absl::Status failure;
  auto verified = [&](double r) {
    absl::StatusOr<BallBounds> b = BoundBall(encoder, global, x, r, options, target);
    ++result.bound_calls;
    if (!b.ok()) failure = b.status();
    return b.ok() && b->deviation() <= target;
  };
  double lo = result.radius, hi = 2 * lo;
  for (int doublings = 0; doublings < 40 && verified(hi); ++doublings) {
    lo = hi;
    hi *= 2;
  }
  while (failure.ok() && hi - lo > tolerance * lo) {
    const double mid = (lo + hi) / 2;
    (verified(mid) ? lo : hi) = mid;
  }
  if (!failure.ok()) return failure;
  result.radius = lo;
  return result;
}

absl::StatusOr<double> PgdRadius(const FoldedEncoder& encoder, const at::Tensor& x, double feature_radius,
                                 double start, const PgdOptions& o) {
  if (!(feature_radius > 0) || !(start > 0) || std::isinf(start))
    return absl::InvalidArgumentError("need a feature radius > 0 and a finite start > 0");
  if (o.steps < 1 || o.restarts < 1 || o.searches < 0)
    return absl::InvalidArgumentError("need steps, restarts >= 1 and searches >= 0");
  absl::StatusOr<at::Tensor> image = OneImage(encoder, x);
  if (!image.ok()) return image.status();
  at::Tensor f0;
  {
    torch::NoGradGuard no_grad;
    f0 = encoder.Forward(*image);
  }
  at::Generator gen = tensor::MakeCpuGenerator(o.seed, 73);
  // The largest ‖f(x+δ) − f(x)‖₂ PGD finds over ‖δ‖₂ ≤ r.
  auto attack = [&](double r) {
    double best = 0;
    for (int64_t restart = 0; restart < o.restarts; ++restart) {
      at::Tensor delta = at::randn(image->sizes(), gen);
      delta = (delta * (r / delta.norm().item<double>())).requires_grad_(true);
      for (int64_t step = 0; step < o.steps; ++step) {
        const at::Tensor moved = (encoder.Forward(*image + delta) - f0).norm();
        best = std::max(best, moved.item<double>());
        const at::Tensor grad = torch::autograd::grad({moved}, {delta})[0];
        torch::NoGradGuard no_grad;
        const double g = grad.norm().item<double>();
        if (g == 0) break;
        delta.add_(grad * (2.5 * r / static_cast<double>(o.steps) / g));
        delta.mul_(std::min(1.0, r / delta.norm().item<double>()));
      }
      torch::NoGradGuard no_grad;
      best = std::max(best, (encoder.Forward(*image + delta) - f0).norm().item<double>());
    }
    return best;
  };
  double lo = 0, hi = start;
  while (attack(hi) < feature_radius) {
    lo = hi;
    hi *= 2;
    if (hi > 1e3 * start) return std::numeric_limits<double>::infinity();
  }
  for (int64_t i = 0; i < o.searches; ++i) {
    const double mid = (lo + hi) / 2;
    (attack(mid) >= feature_radius ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace warden::reaas
