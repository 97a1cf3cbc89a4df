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

double BallBounds::deviation() const { return std::min(interval_deviation, local_lipschitz * radius); }

absl::StatusOr<BallBounds> BoundBall(const FoldedEncoder& encoder, const LipschitzBound& global,
                                     const at::Tensor& x, double r, const PowerIteration& options,
                                     double enough) {
  if (!(r >= 0) || std::isinf(r))
    return absl::InvalidArgumentError(absl::StrCat("need a radius r >= 0, got ", r));
  if (global.layer_norms.size() != encoder.layers.size() || global.vectors.size() != encoder.layers.size())
    return absl::InvalidArgumentError("the Lipschitz bound is not this encoder's");
  absl::StatusOr<at::Tensor> image = OneImage(encoder, x);
  if (!image.ok()) return image.status();
  torch::NoGradGuard no_grad;
  const AffineLayer& first = encoder.layers.front();
  const at::Tensor center = first.Apply(*image);
  const at::Tensor spread = RowNorms(first) * r;
  at::Tensor lower = center - spread, upper = center + spread;
  BallBounds b;
  b.radius = r;
  std::vector<at::Tensor> alive;  // per layer l >= 1: its inputs that are not dead on the ball
  for (size_t l = 1; l < encoder.layers.size(); ++l) {
    const AffineLayer& layer = encoder.layers[l];
    // Inputs of layer l: ReLU of the bounds so far. Dead inputs (upper ≤ 0)
    // are zero everywhere on the ball.
    const at::Tensor lo = lower.relu().view(OneInput(layer)), hi = upper.relu().view(OneInput(layer));
    alive.push_back((hi > 0).to(at::kFloat));
    const at::Tensor mid = layer.Apply((lo + hi) / 2), half = AbsLinear(layer, (hi - lo) / 2);
    lower = mid - half;
    upper = mid + half;
  }
  const at::Tensor f = encoder.Forward(*image);
  b.lower = lower.squeeze(0);
  b.upper = upper.squeeze(0);
  b.interval_deviation = at::maximum(upper - f, f - lower).clamp_min(0).norm().item<double>();
  b.local_lipschitz = global.lipschitz;
  if (enough > 0 && b.interval_deviation <= enough) return b;
  // Masked norms, each warm-started from the layer's top singular vector.
  b.local_lipschitz = global.layer_norms.front();
  for (size_t l = 1; l < encoder.layers.size(); ++l) {
    const at::Tensor& mask = alive[l - 1];
    b.local_lipschitz *= mask.min().item<float>() == 1
                             ? global.layer_norms[l]
                             : OperatorNorm(encoder.layers[l], mask, options, global.vectors[l]);
  }
  return b;
}

absl::StatusOr<PropagationResult> PropagationRadius(const FoldedEncoder& encoder,
                                                    const LipschitzBound& global, const at::Tensor& x,
                                                    double feature_radius, double tolerance,
                                                    const PowerIteration& options) {
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
