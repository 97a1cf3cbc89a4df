#include "components/segattack/evaluate.h"

#include <torch/torch.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "components/segattack/metrics.h"

namespace warden::segattack {
namespace {

struct Named {
  const char* name;
  AttackKind kind;
};
constexpr Named kAttacks[] = {
    {"pgd", AttackKind::kPgd},
    {"cr-pgd", AttackKind::kCrPgd},
    {"pgd-released", AttackKind::kPgdReleased},
    {"cr-pgd-released", AttackKind::kCrPgdReleased},
    {"pbgd", AttackKind::kPbgd},
    {"cr-pbgd", AttackKind::kCrPbgd},
    {"bgd1", AttackKind::kOnePoint},
    {"noise", AttackKind::kRandomNoise},
};

}  // namespace

absl::StatusOr<AttackKind> ParseAttack(const std::string& name) {
  for (const Named& a : kAttacks) {
    if (name == a.name) return a.kind;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown attack '", name,
                   "' (pgd, cr-pgd, pgd-released, cr-pgd-released, pbgd, cr-pbgd, bgd1, noise)"));
}

std::string AttackName(AttackKind kind) {
  for (const Named& a : kAttacks) {
    if (kind == a.kind) return a.name;
  }
  return "?";
}

bool IsBlackBox(AttackKind kind) {
  return kind == AttackKind::kPbgd || kind == AttackKind::kCrPbgd || kind == AttackKind::kOnePoint ||
         kind == AttackKind::kRandomNoise;
}

absl::StatusOr<AttackOutcome> RunAttack(SegNet& model, const at::Tensor& images, const at::Tensor& labels,
                                        AttackKind kind, const AttackSettings& settings,
                                        const std::function<void(int64_t, int64_t)>& progress) {
  if (settings.batch_size < 1) return absl::InvalidArgumentError("batch_size must be >= 1");
  const auto start = std::chrono::steady_clock::now();
  PgdOptions pgd = settings.pgd;
  pgd.norm = settings.norm;
  pgd.epsilon = settings.epsilon;
  pgd.seed = settings.seed;
  pgd.radius_weighted = kind == AttackKind::kCrPgd || kind == AttackKind::kCrPgdReleased;
  pgd.released_linf = kind == AttackKind::kPgdReleased || kind == AttackKind::kCrPgdReleased;
  BanditOptions bandit = settings.bandit;
  bandit.norm = settings.norm;
  bandit.epsilon = settings.epsilon;
  bandit.seed = settings.seed;
  bandit.radius_weighted = kind == AttackKind::kCrPbgd;
  bandit.method = kind == AttackKind::kOnePoint      ? BanditMethod::kOnePoint
                  : kind == AttackKind::kRandomNoise ? BanditMethod::kRandomNoise
                                                     : BanditMethod::kTwoPoint;
  const int64_t n = images.size(0);
  std::vector<at::Tensor> parts;
  std::vector<std::vector<at::Tensor>> recorded(bandit.record_at.size());
  AttackOutcome outcome;
  for (int64_t begin = 0; begin < n; begin += settings.batch_size) {
    const at::Tensor x = images.slice(0, begin, begin + settings.batch_size);
    const at::Tensor y = labels.slice(0, begin, begin + settings.batch_size);
    if (IsBlackBox(kind)) {
      bandit.seed = settings.seed * 1000003 + static_cast<uint64_t>(begin);  // batches draw apart
      absl::StatusOr<BanditResult> r = BanditAttack(model, x, y, bandit);
      if (!r.ok()) return r.status();
      parts.push_back(r->adversarial);
      for (size_t i = 0; i < r->recorded.size(); ++i) recorded[i].push_back(r->recorded[i]);
      outcome.cost.forward = std::max(outcome.cost.forward, r->queries);
    } else {
      absl::StatusOr<AttackResult> r = PgdAttack(model, x, y, pgd);
      if (!r.ok()) return r.status();
      parts.push_back(r->adversarial);
      outcome.cost = r->cost;
    }
    if (progress) progress(std::min(n, begin + settings.batch_size), n);
  }
  if (parts.empty()) return absl::InvalidArgumentError("no images to attack");
  outcome.adversarial = at::cat(parts);
  outcome.scores = Score(model, outcome.adversarial, labels);
  if (IsBlackBox(kind)) {
    for (const std::vector<at::Tensor>& r : recorded)
      outcome.recorded.push_back(Score(model, at::cat(r), labels));
  }
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

RadiusBins FlipRateByRadius(const at::Tensor& radius, const at::Tensor& clean_pred,
                            const at::Tensor& adversarial_pred, const at::Tensor& labels, int bins,
                            int64_t ignore_label) {
  RadiusBins out;
  const at::Tensor y = labels.to(at::kCPU, at::kLong).flatten();
  const at::Tensor correct = (clean_pred.to(at::kCPU, at::kLong).flatten() == y) & (y != ignore_label);
  const at::Tensor r = radius.to(at::kCPU, at::kDouble).flatten().masked_select(correct);
  const at::Tensor flipped =
      (adversarial_pred.to(at::kCPU, at::kLong).flatten() != y).masked_select(correct).to(at::kDouble);
  const int64_t m = r.numel();
  if (bins < 1 || m == 0) return out;
  // Stable sort: equal radii keep their pixel order, so the cut is reproducible.
  const at::Tensor order = std::get<1>(r.sort(/*stable=*/true, 0, false));
  const at::Tensor rs = r.index_select(0, order), fs = flipped.index_select(0, order);
  for (int i = 0; i < bins; ++i) {
    const int64_t lo = m * i / bins, hi = m * (i + 1) / bins;
    if (hi <= lo) continue;
    out.low.push_back(rs[lo].item<double>());
    out.high.push_back(rs[hi - 1].item<double>());
    out.pixels.push_back(hi - lo);
    out.flip_rate.push_back(fs.slice(0, lo, hi).mean().item<double>());
  }
  return out;
}

}  // namespace warden::segattack
