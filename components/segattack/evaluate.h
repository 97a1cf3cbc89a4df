// The attacks as one evaluation: run a named attack over a set of scenes in
// batches and score what it leaves (docs/specs/cr_attack.md §4, §5.6), and
// the motivating statistic of the method — how often an attack flips a
// correctly classified pixel, by the pixel's clean radius.
#ifndef WARDEN_COMPONENTS_SEGATTACK_EVALUATE_H_
#define WARDEN_COMPONENTS_SEGATTACK_EVALUATE_H_

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/segattack/blackbox.h"
#include "components/segattack/train.h"
#include "components/segattack/whitebox.h"

namespace warden::segattack {

enum class AttackKind {
  kPgd,          // white-box, w ≡ 1
  kCrPgd,        // white-box, CR-weighted
  kPgdReleased,  // PGD with the released code's unclipped ℓ∞ step
  kCrPgdReleased,
  kPbgd,  // black-box, two-point bandit
  kCrPbgd,
  kOnePoint,     // black-box, one-point bandit (baseline)
  kRandomNoise,  // black-box, random ±ε noise (baseline)
};
// "pgd", "cr-pgd", "pgd-released", "cr-pgd-released", "pbgd", "cr-pbgd", "bgd1", "noise".
absl::StatusOr<AttackKind> ParseAttack(const std::string& name);
std::string AttackName(AttackKind kind);
bool IsBlackBox(AttackKind kind);

struct AttackSettings {
  PgdOptions pgd;        // white-box settings (norm, ε, seed set from the fields below)
  BanditOptions bandit;  // black-box settings
  Norm norm = Norm::kLinf;
  double epsilon = 8.0 / 255;
  uint64_t seed = 0;
  int64_t batch_size = kForwardChunk;  // images attacked at once
};

struct AttackOutcome {
  at::Tensor adversarial;           // the images the attack returns (at the full budget)
  SegScores scores;                 // on `adversarial`
  std::vector<SegScores> recorded;  // black-box: at each bandit.record_at budget
  AttackCost cost;                  // per image (black-box: forward = queries)
  double seconds = 0;
};

// Attacks every image; `progress` (if set) gets (images done, total).
absl::StatusOr<AttackOutcome> RunAttack(SegNet& model, const at::Tensor& images, const at::Tensor& labels,
                                        AttackKind kind, const AttackSettings& settings,
                                        const std::function<void(int64_t, int64_t)>& progress = {});

struct RadiusBins {
  std::vector<double> low, high;  // the clean radius range of each bin
  std::vector<int64_t> pixels;    // correctly classified clean pixels in it
  std::vector<double> flip_rate;  // the share of them the attack made wrong
};

// Correctly classified clean pixels (label not ignored) sorted by their clean
// radius and cut into `bins` groups of equal size (ties cut by position), with
// the share of each that `adversarial_pred` gets wrong. Every tensor B × H × W.
RadiusBins FlipRateByRadius(const at::Tensor& radius, const at::Tensor& clean_pred,
                            const at::Tensor& adversarial_pred, const at::Tensor& labels, int bins,
                            int64_t ignore_label = 255);

}  // namespace warden::segattack

#endif  // WARDEN_COMPONENTS_SEGATTACK_EVALUATE_H_
