// The trainer's single-process state handling: undoing a step some ranks
// already applied (Snapshot + RestoreSnapshot, worker_main's rollback) must
// leave exactly the state of never having taken it, and the flat buffers
// used for migration must round-trip.
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

TEST_F(TrainerTest, RollbackEqualsNeverTakingTheStep) {
  auto dropped = Fresh(), reference = Fresh();
  Run(*dropped, 0, 8);                       // steps 0..7 applied
  ASSERT_TRUE(dropped->RestoreSnapshot());   // step 7 undone
  EXPECT_FALSE(dropped->RestoreSnapshot());  // one step only
  Run(*dropped, 8, 12);
  Run(*reference, 0, 7);
  Run(*reference, 8, 12);
  EXPECT_EQ(dropped->updates(), reference->updates());
  EXPECT_TRUE(at::equal(State(*dropped), State(*reference)))
      << "max |diff| " << (State(*dropped) - State(*reference)).abs().max().item<double>();
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
