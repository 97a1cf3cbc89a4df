// The trainer's single-process state handling: a rank that missed a step
// some ranks applied catches up with their summed gradients (ApplyReduced,
// the worker's recovery) and must then hold exactly the state of having taken
// it, and the flat buffers used for migration must round-trip.
#include "distributed/lazarus/runtime/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "distributed/lazarus/runtime/worker_options.h"

namespace warden::lazarus {
namespace {

TrainConfig Config() {
  TrainConfig c;
  c.model.layers = 2;
  c.model.experts = 4;
  c.model.top_k = 1;
  c.global_batch = 8;
  c.learning_rate = 1e-2;
  return c;
}

std::vector<ExpertKey> AllExperts(const MoeConfig& m) {
  std::vector<ExpertKey> keys;
  for (int64_t l = 0; l < m.layers; ++l)
    for (int64_t e = 0; e < m.experts; ++e) keys.push_back({l, e});
  return keys;
}

// Everything a later step depends on: dense params + Adam state + step count,
// and every expert's params + Adam state.
at::Tensor State(const Trainer& t) {
  std::vector<at::Tensor> parts = {t.PackDense()};
  for (const auto& [key, e] : t.experts()) parts.push_back(t.PackExpert(key));
  return at::cat(parts);
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ByteCorpus> c = LoadSotuCorpus();
    ASSERT_TRUE(c.ok()) << c.status();
    corpus_ = std::make_unique<ByteCorpus>(*std::move(c));
  }
  std::unique_ptr<Trainer> Fresh() {
    auto t = std::make_unique<Trainer>(Config(), corpus_.get());
    t->InitExperts(AllExperts(Config().model));
    return t;
  }
  void Run(Trainer& t, int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) t.Step(s, {}, 0, 1, {}, false);
  }
  std::unique_ptr<ByteCorpus> corpus_;
};

TEST_F(TrainerTest, CatchingUpEqualsTakingTheStep) {
  auto ahead = Fresh(), behind = Fresh();
  Run(*ahead, 0, 8);   // steps 0..7 applied
  Run(*behind, 0, 7);  // step 7 interrupted here
  ASSERT_EQ(ahead->last_reduced_step(), 7);
  ASSERT_EQ(ahead->last_reduced().numel(), ahead->ReducedBufferSize());
  ASSERT_TRUE(behind->ApplyReduced(7, ahead->last_reduced()).ok());
  EXPECT_EQ(behind->updates(), ahead->updates());
  EXPECT_EQ(behind->last_reduced_step(), 7);  // it can now serve another rank the same way
  EXPECT_TRUE(at::equal(State(*behind), State(*ahead)))
      << "max |diff| " << (State(*behind) - State(*ahead)).abs().max().item<double>();
  Run(*ahead, 8, 12);
  Run(*behind, 8, 12);
  EXPECT_TRUE(at::equal(State(*behind), State(*ahead)));
}

TEST_F(TrainerTest, CatchUpOnlyTouchesTheExpertsHeld) {
  // A rank holding half the experts applies the same buffer to those only,
  // and they equal the full trainer's.
  auto full = Fresh(), half = Fresh();
  Run(*full, 0, 3);
  Run(*half, 0, 2);
  std::vector<ExpertKey> some = AllExperts(Config().model);
  some.resize(some.size() / 2);
  half->RetainExperts(some);
  ASSERT_TRUE(half->ApplyReduced(2, full->last_reduced()).ok());
  for (const ExpertKey& k : some) EXPECT_TRUE(at::equal(half->PackExpert(k), full->PackExpert(k)));
  EXPECT_TRUE(at::equal(half->PackDense(), full->PackDense()));
}

TEST_F(TrainerTest, ApplyReducedRejectsAWrongSize) {
  auto t = Fresh();
  const at::Tensor before = State(*t);
  EXPECT_FALSE(t->ApplyReduced(0, at::zeros({t->ReducedBufferSize() - 1})).ok());
  EXPECT_EQ(t->updates(), 0);
  EXPECT_TRUE(at::equal(State(*t), before));
}

TEST_F(TrainerTest, MigrationBuffersRoundTrip) {
  // A rank that takes its whole state from another through the flat buffers
  // (the dense broadcast and the expert transfers) then trains identically.
  auto a = Fresh(), b = Fresh();
  Run(*a, 0, 5);
  Run(*b, 0, 5);
  for (const ExpertKey& k : AllExperts(Config().model)) b->UnpackExpert(k, a->PackExpert(k));
  ASSERT_TRUE(b->UnpackDense(a->PackDense()).ok());
  EXPECT_TRUE(at::equal(State(*a), State(*b)));
  Run(*a, 5, 8);
  Run(*b, 5, 8);
  EXPECT_TRUE(at::equal(State(*a), State(*b)));
}

TEST_F(TrainerTest, ReportsTheSmallestRoutingGap) {
  auto t = Fresh();
  const StepOutcome out = t->Step(0, {}, 0, 1, {}, false);
  EXPECT_GT(out.gate_margin, 0);    // ties of exactly 0 do not occur on real text
  EXPECT_LT(out.gate_margin, 1.0);  // 512 tokens: some pair of logits is close
}

TEST_F(TrainerTest, UnpackDenseRejectsAWrongSize) {
  auto t = Fresh();
  EXPECT_FALSE(t->UnpackDense(at::zeros({3})).ok());
}

}  // namespace
}  // namespace warden::lazarus
