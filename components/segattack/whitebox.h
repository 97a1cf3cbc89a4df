// White-box PGD and CR-PGD on a segmenter (docs/specs/cr_attack.md §2): T
// steps of size η on the per-pixel cross-entropy, averaged over each image's
// pixels, untargeted, from the clean image, final iterate returned. CR-PGD
// weights each pixel's loss by sigmoid(b − a·CR), CR the soft pixel radius
// (smoothing::SoftPixelRadii) re-estimated at the current iterate every
// `refresh` steps, so the attack spends its budget on pixels near flipping.
// Images of a batch are attacked independently (their losses are summed).
#ifndef WARDEN_COMPONENTS_SEGATTACK_WHITEBOX_H_
#define WARDEN_COMPONENTS_SEGATTACK_WHITEBOX_H_

#include <ATen/core/Tensor.h>

#include <functional>

#include "absl/status/statusor.h"
#include "components/segattack/attack_common.h"
#include "components/segattack/segmenter.h"

namespace warden::segattack {

struct PgdOptions {
  Norm norm = Norm::kLinf;
  double epsilon = 8.0 / 255;
  int64_t steps = 50;            // T
  double step_size = -1;         // η; < 0: 2.5·ε / T (the released code's 0.05ε at T = 50)
  bool radius_weighted = false;  // CR-PGD
  RadiusWeighting weighting;
  bool released_linf = false;  // the released code's unclipped ℓ∞ projection (spec §2.3)
  int64_t ignore_label = 255;
  uint64_t seed = 0;  // the radius estimates' noise
};

struct AttackResult {
  at::Tensor adversarial;  // B × C × H × W
  AttackCost cost;         // per image
};

// Attacks `images` (B × C × H × W in [0, 1]) whose labels are `labels`
// (B × H × W). `on_step` (if set) sees every iterate after its projection.
// InvalidArgument for bad shapes, images outside [0, 1], ε < 0, T < 1.
absl::StatusOr<AttackResult> PgdAttack(SegNet& model, const at::Tensor& images, const at::Tensor& labels,
                                       const PgdOptions& options,
                                       const std::function<void(int64_t, const at::Tensor&)>& on_step = {});

}  // namespace warden::segattack

#endif  // WARDEN_COMPONENTS_SEGATTACK_WHITEBOX_H_
