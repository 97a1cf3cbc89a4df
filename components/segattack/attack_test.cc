#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "components/segattack/attack_common.h"
#include "components/segattack/blackbox.h"
#include "components/segattack/whitebox.h"
#include "components/segdata/scenes.h"
#include "components/status/status_matchers.h"
#include "components/tensor/random.h"

namespace warden::segattack {
namespace {

struct Fixture {
  SegNet model{nullptr};
  segdata::SceneSet scenes;
};

// Four real test scenes and a small untrained U-Net: the invariants below hold
// for any model.
const Fixture& Get() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    f->model = *MakeSegNet({"unet", 4, 1, 11}, 1);
    f->scenes = *segdata::LoadScenes("mnist", tensor::Split::kTest, 4, segdata::SceneOptions());
    return f;
  }();
  return *fixture;
}

double MeanLoss(SegNet model, const at::Tensor& images, const at::Tensor& labels) {
  torch::NoGradGuard no_grad;
  return PixelLoss(model->forward(images), labels, 255).mean().item<double>();
}

TEST(AttackCommonTest, RadiusWeightFollowsTheSpec) {
  const at::Tensor w = RadiusWeight(torch::tensor({0.0, 2.0, 4.6}, torch::kDouble), 2, 4);
  EXPECT_NEAR(w[0].item<double>(), 1 / (1 + std::exp(-4.0)), 1e-12);  // ≈ 0.982
  EXPECT_DOUBLE_EQ(w[1].item<double>(), 0.5);                         // CR = b / a
  EXPECT_NEAR(w[2].item<double>(), 1 / (1 + std::exp(5.2)), 1e-12);   // ≈ 0.0055
}

TEST(AttackCommonTest, ProjectionKeepsBothBounds) {
  torch::manual_seed(0);
  const at::Tensor x = torch::rand({3, 1, 8, 8});
  const at::Tensor wild = x + torch::randn({3, 1, 8, 8});
  for (Norm norm : {Norm::kLinf, Norm::kL2}) {
    const at::Tensor p = Project(wild, x, norm, 0.1);
    EXPECT_LE(PerImageNorm(p - x, norm).max().item<double>(), 0.1 + 1e-6) << NormName(norm);
    EXPECT_GE(p.min().item<double>(), 0.0);
    EXPECT_LE(p.max().item<double>(), 1.0);
  }
  // The released ℓ∞ projection only clamps to [0, 1].
  EXPECT_GT(PerImageNorm(Project(wild, x, Norm::kLinf, 0.1, true) - x, Norm::kLinf).max().item<double>(),
            0.2);
}

TEST(PgdTest, EveryIterateIsFeasibleAndTheLossRises) {
  const Fixture& f = Get();
  SegNet model = f.model;
  const double clean = MeanLoss(model, f.scenes.images, f.scenes.masks);
  for (Norm norm : {Norm::kLinf, Norm::kL2}) {
    for (bool weighted : {false, true}) {
      PgdOptions options;
      options.norm = norm;
      options.epsilon = norm == Norm::kLinf ? 8.0 / 255 : 1.0;
      options.steps = 12;
      options.radius_weighted = weighted;
      int64_t steps = 0;
      ASSERT_OK_AND_ASSIGN(
          AttackResult r,
          PgdAttack(model, f.scenes.images, f.scenes.masks, options, [&](int64_t, const at::Tensor& x) {
            ++steps;
            EXPECT_LE(PerImageNorm(x - f.scenes.images, norm).max().item<double>(), options.epsilon + 1e-6);
            EXPECT_GE(x.min().item<double>(), 0.0);
            EXPECT_LE(x.max().item<double>(), 1.0);
          }));
      EXPECT_EQ(steps, 12);
      EXPECT_GT(MeanLoss(model, r.adversarial, f.scenes.masks), clean) << NormName(norm) << weighted;
      // T forward + backward passes, and N forward passes per radius refresh (every 5 steps: 3).
      EXPECT_EQ(r.cost.backward, 12);
      EXPECT_EQ(r.cost.forward, weighted ? 12 + 3 * 8 : 12);
    }
  }
}

TEST(PgdTest, FlatWeightIsPgdAndTheReleasedProjectionOverstepsEpsilon) {
  const Fixture& f = Get();
  SegNet model = f.model;
  PgdOptions pgd;
  pgd.steps = 10;
  PgdOptions flat = pgd;
  flat.radius_weighted = true;
  flat.weighting.a = 0;  // w ≡ sigmoid(b): one constant, the same sign steps
  ASSERT_OK_AND_ASSIGN(AttackResult a, PgdAttack(model, f.scenes.images, f.scenes.masks, pgd));
  ASSERT_OK_AND_ASSIGN(AttackResult b, PgdAttack(model, f.scenes.images, f.scenes.masks, flat));
  EXPECT_TRUE(torch::equal(a.adversarial, b.adversarial));
  ASSERT_OK_AND_ASSIGN(AttackResult again, PgdAttack(model, f.scenes.images, f.scenes.masks, pgd));
  EXPECT_TRUE(torch::equal(a.adversarial, again.adversarial));

  PgdOptions released = pgd;
  released.released_linf = true;
  ASSERT_OK_AND_ASSIGN(AttackResult c, PgdAttack(model, f.scenes.images, f.scenes.masks, released));
  const double reach = PerImageNorm(c.adversarial - f.scenes.images, Norm::kLinf).max().item<double>();
  EXPECT_GT(reach, pgd.epsilon * 1.5);  // T·η = 2.5 ε with the default η
  EXPECT_LE(reach, 2.5 * pgd.epsilon + 1e-6);
}

TEST(PgdTest, RefusesBadInput) {
  const Fixture& f = Get();
  SegNet model = f.model;
  PgdOptions options;
  options.epsilon = -0.1;
  EXPECT_EQ(PgdAttack(model, f.scenes.images, f.scenes.masks, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.epsilon = 0.1;
  EXPECT_FALSE(PgdAttack(model, f.scenes.images * 2, f.scenes.masks, options).ok());  // outside [0, 1]
  EXPECT_FALSE(
      PgdAttack(model, f.scenes.images, f.scenes.masks.slice(1, 0, 40), options).ok());  // wrong size
  EXPECT_FALSE(PgdAttack(model, f.scenes.images.repeat({1, 3, 1, 1}), f.scenes.masks, options).ok());
  options.steps = 0;
  EXPECT_FALSE(PgdAttack(model, f.scenes.images, f.scenes.masks, options).ok());
}

TEST(BanditTest, CountsEveryQueryAndStaysFeasible) {
  const Fixture& f = Get();
  SegNet model = f.model;
  for (BanditMethod method : {BanditMethod::kTwoPoint, BanditMethod::kOnePoint, BanditMethod::kRandomNoise}) {
    for (bool weighted : {false, true}) {
      BanditOptions options;
      options.method = method;
      options.budget = 100;
      options.radius_weighted = weighted;
      options.weighting.refresh = 10;
      options.record_at = {30, 0, 100};
      ASSERT_OK_AND_ASSIGN(BanditResult r, BanditAttack(model, f.scenes.images, f.scenes.masks, options));
      EXPECT_LE(r.queries, 100);
      const int64_t per_round = method == BanditMethod::kTwoPoint   ? 3
                                : method == BanditMethod::kOnePoint ? 2
                                                                    : 1;
      const bool cr = weighted && method != BanditMethod::kRandomNoise;
      // Rounds and refreshes (16 queries every 10 rounds) account for every query.
      const int64_t refreshes = cr ? (r.rounds + 9) / 10 : 0;
      EXPECT_EQ(r.queries, per_round * r.rounds + 16 * refreshes);
      EXPECT_GT(r.queries + per_round + (cr ? 16 : 0), 100);  // no room for another round
      ASSERT_EQ(r.recorded.size(), 3u);
      EXPECT_TRUE(torch::equal(r.recorded[0], f.scenes.images));  // budget 0: nothing sent yet
      EXPECT_TRUE(torch::equal(r.recorded[2], r.adversarial));
      for (const at::Tensor& x : {r.adversarial, r.recorded[1]}) {
        EXPECT_LE(PerImageNorm(x - f.scenes.images, Norm::kLinf).max().item<double>(),
                  options.epsilon + 1e-6);
        EXPECT_GE(x.min().item<double>(), 0.0);
        EXPECT_LE(x.max().item<double>(), 1.0);
      }
      if (method != BanditMethod::kRandomNoise) {  // the first iterate sent is the clean image
        EXPECT_GE(MeanLoss(model, r.adversarial, f.scenes.masks),
                  MeanLoss(model, f.scenes.images, f.scenes.masks) - 1e-5);  // batch-size rounding
      }
    }
  }
}

TEST(BanditTest, L2IsFeasibleAndDeterministic) {
  const Fixture& f = Get();
  SegNet model = f.model;
  BanditOptions options;
  options.norm = Norm::kL2;
  options.epsilon = 1.0;
  options.budget = 60;
  ASSERT_OK_AND_ASSIGN(BanditResult a, BanditAttack(model, f.scenes.images, f.scenes.masks, options));
  ASSERT_OK_AND_ASSIGN(BanditResult b, BanditAttack(model, f.scenes.images, f.scenes.masks, options));
  EXPECT_TRUE(torch::equal(a.adversarial, b.adversarial));
  EXPECT_LE(PerImageNorm(a.adversarial - f.scenes.images, Norm::kL2).max().item<double>(), 1.0 + 1e-5);
  options.seed = 1;
  ASSERT_OK_AND_ASSIGN(BanditResult c, BanditAttack(model, f.scenes.images, f.scenes.masks, options));
  EXPECT_FALSE(torch::equal(a.adversarial, c.adversarial));
}

TEST(BanditTest, RefusesBadInput) {
  const Fixture& f = Get();
  SegNet model = f.model;
  BanditOptions options;
  options.budget = 0;
  EXPECT_EQ(BanditAttack(model, f.scenes.images, f.scenes.masks, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.budget = 2;  // less than one two-point round
  EXPECT_FALSE(BanditAttack(model, f.scenes.images, f.scenes.masks, options).ok());
  options.budget = 10;
  options.radius_weighted = true;  // plus the first 16-query radius estimate
  EXPECT_FALSE(BanditAttack(model, f.scenes.images, f.scenes.masks, options).ok());
  options.radius_weighted = false;
  options.scale = 5;  // does not divide 48
  EXPECT_FALSE(BanditAttack(model, f.scenes.images, f.scenes.masks, options).ok());
  options.scale = 2;
  options.epsilon = -1;
  EXPECT_FALSE(BanditAttack(model, f.scenes.images, f.scenes.masks, options).ok());
  options.epsilon = 0.1;
  options.record_at = {11};
  EXPECT_FALSE(BanditAttack(model, f.scenes.images, f.scenes.masks, options).ok());
}

// L(z) = ½ Σ a_i z_i² + Σ b_i z_i + c on d = 256: the δ-ball-smoothed loss
// differs from L by a constant, so ∇L̂_δ(z) = a ⊙ z + b exactly.
struct Quadratic {
  at::Tensor a, b;
  double c = 3;
  at::Tensor operator()(const at::Tensor& z) const {  // rows of z → B
    return (0.5 * a * z * z + b * z).sum(1) + c;
  }
};

TEST(EstimatorTest, TwoPointIsUnbiasedAndItsSecondMomentIsFlatInDelta) {
  const int64_t d = 256, m = 20000;
  at::Generator gen = tensor::MakeCpuGenerator(11, 0);
  const auto dbl = at::TensorOptions().dtype(at::kDouble);
  Quadratic q{at::rand({d}, gen, dbl) + 0.5, at::randn({d}, gen, dbl)};
  const at::Tensor z = at::randn({1, d}, gen, dbl).expand({m, d});
  const at::Tensor truth = (q.a * z[0] + q.b);
  const double delta = 0.05;
  const at::Tensor u = RandomDirections(m, d, gen);
  const at::Tensor g = TwoPointEstimate(q(z + delta * u), q(z - delta * u), u, delta);
  const at::Tensor mean = g.mean(0);
  const at::Tensor se = g.std(0) / std::sqrt(static_cast<double>(m));
  // Every coordinate's mean within 5 standard errors of the true gradient.
  EXPECT_LT(((mean - truth).abs() / se).max().item<double>(), 5.0);

  const at::Tensor g1 = OnePointEstimate(q(z + delta * u), u, delta);
  const at::Tensor se1 = g1.std(0) / std::sqrt(static_cast<double>(m));
  EXPECT_LT(((g1.mean(0) - truth).abs() / se1).max().item<double>(), 5.0);  // unbiased too, but noisier
  EXPECT_GT(se1.mean().item<double>(), 5 * se.mean().item<double>());

  std::vector<double> two, one;
  for (double dl : {1e-1, 1e-2, 1e-3}) {
    const at::Tensor v = RandomDirections(2000, d, gen);
    const at::Tensor zz = z.slice(0, 0, 2000);
    two.push_back(
        TwoPointEstimate(q(zz + dl * v), q(zz - dl * v), v, dl).pow(2).sum(1).mean().item<double>());
    one.push_back(OnePointEstimate(q(zz + dl * v), v, dl).pow(2).sum(1).mean().item<double>());
  }
  EXPECT_NEAR(two[2] / two[0], 1.0, 0.25);  // bounded by d²G², whatever δ
  EXPECT_GT(one[1] / one[0], 50);           // ~ 1 / δ²: ×100 per decade
  EXPECT_GT(one[2] / one[1], 50);
}

}  // namespace
}  // namespace warden::segattack
