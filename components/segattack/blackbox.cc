#include "components/segattack/blackbox.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "components/tensor/random.h"

namespace warden::segattack {

absl::StatusOr<at::Tensor> QueryCounter::Logits(const at::Tensor& batch) {
  images_ += batch.size(0);
  return inner_.Logits(batch);
}

at::Tensor RandomDirections(int64_t rows, int64_t d, at::Generator& gen) {
  const at::Tensor g = at::randn({rows, d}, gen, at::TensorOptions().dtype(at::kDouble));
  return g / g.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-300);
}

at::Tensor TwoPointEstimate(const at::Tensor& loss_plus, const at::Tensor& loss_minus, const at::Tensor& u,
                            double delta) {
  const double d = static_cast<double>(u.size(1));
  return (d / (2 * delta)) * (loss_plus - loss_minus).view({-1, 1}).to(u.scalar_type()) * u;
}

at::Tensor OnePointEstimate(const at::Tensor& loss_plus, const at::Tensor& u, double delta) {
  const double d = static_cast<double>(u.size(1));
  return (d / delta) * loss_plus.view({-1, 1}).to(u.scalar_type()) * u;
}

namespace {

int64_t QueriesPerRound(BanditMethod method) {
  switch (method) {
    case BanditMethod::kTwoPoint:
      return 3;  // x⁺, x⁻ and the iterate itself
    case BanditMethod::kOnePoint:
      return 2;  // x⁺ and the iterate
    case BanditMethod::kRandomNoise:
      return 1;
  }
  return 1;
}

// One attack over a batch: the state every round reads and updates.
class Bandit {
 public:
  Bandit(SegNet& model, const at::Tensor& x, const at::Tensor& y, const BanditOptions& o)
      : options_(o),
        segmenter_(AsSegmenter(model)),
        oracle_(*segmenter_),
        x_(x),
        y_(y),
        gen_(tensor::MakeCpuGenerator(o.seed, 0)) {
    b_ = x.size(0), c_ = x.size(1), h_ = x.size(2), w_ = x.size(3);
    d_ = c_ * (h_ / o.scale) * (w_ / o.scale);
    const double r = o.norm == Norm::kLinf ? o.epsilon : o.epsilon / static_cast<double>(o.scale);
    radius_ = r;
    shrink_ = o.project_iterate ? (r > 0 ? std::min(1.0, o.delta / r) : 1.0) : 0.0;
    eta_ = o.step_size >= 0 ? o.step_size : r / 20;
    z_ = at::zeros({b_, d_}, x.options());
    best_ = x.clone();
    best_loss_ = at::full({b_}, -std::numeric_limits<double>::infinity(), x.options().dtype(at::kDouble));
    weight_ = at::ones({b_, h_, w_}, x.options());
  }

  absl::StatusOr<BanditResult> Run() {
    BanditResult result;
    std::vector<int64_t> record = options_.record_at;
    std::sort(record.begin(), record.end());
    size_t next_record = 0;
    const bool weighted = options_.radius_weighted && options_.method != BanditMethod::kRandomNoise;
    for (int64_t round = 0;; ++round) {
      const bool refresh = weighted && round % options_.weighting.refresh == 0;
      const int64_t cost = QueriesPerRound(options_.method) + (refresh ? options_.weighting.samples : 0);
      const int64_t used = oracle_.images() / b_;
      while (next_record < record.size() && used + cost > record[next_record]) {
        result.recorded.push_back(best_.clone());
        ++next_record;
      }
      if (used + cost > options_.budget) break;
      if (refresh) {
        absl::StatusOr<at::Tensor> cr = smoothing::SoftPixelRadii(
            oracle_, Feasible(z_), options_.weighting.samples, options_.weighting.sigma, options_.seed,
            static_cast<uint64_t>(round) + 1);
        if (!cr.ok()) return cr.status();
        weight_ = RadiusWeight(*cr, options_.weighting.a, options_.weighting.b);
      }
      if (absl::Status s = Round(); !s.ok()) return s;
      result.rounds = round + 1;
    }
    while (next_record < record.size()) {
      result.recorded.push_back(best_.clone());
      ++next_record;
    }
    result.adversarial = best_;
    result.queries = oracle_.images() / b_;
    return result;
  }

 private:
  // P(U(z)): up-sample (nearest), project onto the ε-ball around x and [0, 1].
  at::Tensor Feasible(const at::Tensor& z) {
    const int64_t rows = z.size(0) / b_;
    const at::Tensor up =
        at::upsample_nearest2d(z.view({z.size(0), c_, h_ / options_.scale, w_ / options_.scale}), {h_, w_});
    const at::Tensor x = rows == 1 ? x_ : x_.repeat({rows, 1, 1, 1});
    return Project(x + up, x, options_.norm, options_.epsilon);
  }

  // Sends `images` (rows × B of them) and returns their logits.
  absl::StatusOr<at::Tensor> Query(const at::Tensor& images) {
    torch::NoGradGuard no_grad;
    return oracle_.Logits(images);
  }

  // Per image, the mean over pixels of the (weighted) loss; logits of B images.
  at::Tensor Loss(const at::Tensor& logits, bool weighted) {
    at::Tensor loss = PixelLoss(logits, y_, options_.ignore_label);
    if (weighted) loss = loss * weight_;
    return loss.flatten(1).mean(1).to(at::kDouble);
  }

  void Keep(const at::Tensor& images, const at::Tensor& logits) {
    const at::Tensor loss = Loss(logits, false);
    const at::Tensor better = loss > best_loss_;
    best_loss_ = at::where(better, loss, best_loss_);
    best_ = at::where(better.view({-1, 1, 1, 1}), images, best_);
  }

  absl::Status Round() {
    if (options_.method == BanditMethod::kRandomNoise) {
      at::Tensor v;
      if (options_.norm == Norm::kLinf) {
        v = options_.epsilon * at::randn({b_, c_, h_, w_}, gen_).sign();
      } else {
        v = options_.epsilon * RandomDirections(b_, c_ * h_ * w_, gen_).view({b_, c_, h_, w_});
      }
      const at::Tensor images = Project(x_ + v.to(x_.options()), x_, options_.norm, options_.epsilon);
      absl::StatusOr<at::Tensor> logits = Query(images);
      if (!logits.ok()) return logits.status();
      Keep(images, *logits);
      return absl::OkStatus();
    }
    const at::Tensor u = RandomDirections(b_, d_, gen_);
    const at::Tensor uf = u.to(z_.options());
    const bool two = options_.method == BanditMethod::kTwoPoint;
    std::vector<at::Tensor> zs = {z_ + options_.delta * uf};
    if (two) zs.push_back(z_ - options_.delta * uf);
    zs.push_back(z_);
    const at::Tensor images = Feasible(at::cat(zs));
    absl::StatusOr<at::Tensor> logits = Query(images);
    if (!logits.ok()) return logits.status();
    const auto part = [&](const at::Tensor& t, int64_t i) { return t.slice(0, i * b_, (i + 1) * b_); };
    const int64_t last = static_cast<int64_t>(zs.size()) - 1;
    Keep(part(images, last), part(*logits, last));
    const bool weighted = options_.radius_weighted;
    const at::Tensor g = two ? TwoPointEstimate(Loss(part(*logits, 0), weighted),
                                                Loss(part(*logits, 1), weighted), u, options_.delta)
                             : OnePointEstimate(Loss(part(*logits, 0), weighted), u, options_.delta);
    at::Tensor step;
    if (options_.norm == Norm::kLinf) {
      step = g.sign();
    } else {
      step = g / g.norm(2, {1}, true).clamp_min(1e-300);
    }
    z_ = z_ + eta_ * step.to(z_.options());
    if (options_.project_iterate) {
      const double bound = (1 - shrink_) * radius_;
      if (options_.norm == Norm::kLinf) {
        z_ = z_.clamp(-bound, bound);
      } else {
        z_ = z_ * (bound / z_.norm(2, {1}, true).clamp_min(1e-12)).clamp_max(1.0);
      }
    }
    return absl::OkStatus();
  }

  BanditOptions options_;
  std::unique_ptr<smoothing::Segmenter> segmenter_;
  QueryCounter oracle_;
  at::Tensor x_, y_;
  at::Generator gen_;
  int64_t b_ = 0, c_ = 0, h_ = 0, w_ = 0, d_ = 0;
  double radius_ = 0, shrink_ = 0, eta_ = 0;
  at::Tensor z_, best_, best_loss_, weight_;
};

}  // namespace

absl::StatusOr<BanditResult> BanditAttack(SegNet& model, const at::Tensor& images, const at::Tensor& labels,
                                          const BanditOptions& options) {
  if (absl::Status s = CheckAttackInput(images, labels, model->shape().in_channels, options.epsilon);
      !s.ok()) {
    return s;
  }
  if (options.scale < 1 || images.size(2) % options.scale != 0 || images.size(3) % options.scale != 0) {
    return absl::InvalidArgumentError(absl::StrCat("scale ", options.scale, " must divide the image sides ",
                                                   images.size(2), " and ", images.size(3)));
  }
  if (!(options.delta > 0)) return absl::InvalidArgumentError("delta must be > 0");
  const bool weighted = options.radius_weighted && options.method != BanditMethod::kRandomNoise;
  if (weighted &&
      (options.weighting.samples < 1 || options.weighting.refresh < 1 || !(options.weighting.sigma >= 0))) {
    return absl::InvalidArgumentError("CR-PBGD needs samples >= 1, refresh >= 1 and sigma >= 0");
  }
  const int64_t first = QueriesPerRound(options.method) + (weighted ? options.weighting.samples : 0);
  if (options.budget < first) {
    return absl::InvalidArgumentError(
        absl::StrCat("a budget of ", options.budget, " queries is less than one round (", first, ")"));
  }
  for (int64_t at : options.record_at) {
    if (at < 0 || at > options.budget) {
      return absl::InvalidArgumentError(absl::StrCat("record_at ", at, " is outside [0, budget]"));
    }
  }
  model->eval();
  const c10::Device device = model->parameters().front().device();
  Bandit bandit(model, images.to(device, at::kFloat), labels.to(device, at::kLong), options);
  return bandit.Run();
}

}  // namespace warden::segattack
