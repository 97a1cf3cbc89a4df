// The dispatcher over real Gloo process groups: 4 forked ranks with expert
// replicas per an MRO plan train a few steps; every rank's dense parameters
// and every replica match a single-process reference on the same global
// batches, and replicas of one expert stay identical. Built as
// dispatch_gpu_test (WARDEN_GPU_TEST) the model lives on cuda:0 and Gloo moves
// CUDA tensors: several ranks on one GPU.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <torch/csrc/distributed/c10d/FileStore.hpp>

#include "distributed/lazarus/allocation.h"
#include "distributed/lazarus/placement.h"
#include "distributed/lazarus/runtime/process_group.h"
#include "distributed/lazarus/runtime/trainer.h"
#include "distributed/lazarus/runtime/worker_options.h"

namespace warden::lazarus {
namespace {

constexpr int kSteps = 3;

TrainConfig Config(int64_t top_k) {
  TrainConfig c;
  c.model.layers = 2;
  c.model.experts = 6;
  c.model.top_k = top_k;
  c.global_batch = 8;
  c.learning_rate = 1e-2;
#ifdef WARDEN_GPU_TEST
  c.device = at::Device(at::kCUDA, 0);
#endif
  return c;
}

// Replicas per rank from Eq. 1 allocation + MRO on uniform loads.
ReplicaPlan MakePlan(const MoeConfig& m, int ranks, int slots) {
  ReplicaPlan plan(m.layers, std::vector<std::vector<int>>(m.experts, std::vector<int>(ranks, 0)));
  for (int64_t l = 0; l < m.layers; ++l) {
    // Skewed loads so that replica counts differ between experts.
    std::vector<double> loads;
    for (int64_t e = 0; e < m.experts; ++e) loads.push_back(1.0 + static_cast<double>((e + l) % 3));
    const ReplicaAllocation alloc = *AllocateReplicas(loads, ranks, slots, 1);
    const Placement placement = *PlaceMro(alloc.replicas, ranks, slots);
    for (int j = 0; j < ranks; ++j) {
      for (int e : placement.nodes[j]) plan[l][e][j] += 1;
    }
  }
  return plan;
}

int RunRank(const std::string& store_path, int rank, int world, int64_t top_k, const ByteCorpus& corpus) {
  const TrainConfig config = Config(top_k);
  const ReplicaPlan plan = MakePlan(config.model, world, 3);
  auto store = c10::make_intrusive<c10d::FileStore>(store_path, world);
  auto group = MakeGlooGroup(store, rank, world, std::chrono::seconds(60));

  Trainer distributed(config, &corpus), reference(config, &corpus);
  std::vector<ExpertKey> mine, all;
  for (int64_t l = 0; l < config.model.layers; ++l) {
    for (int64_t e = 0; e < config.model.experts; ++e) {
      all.push_back({l, e});
      if (plan[l][e][rank] > 0) mine.push_back({l, e});
    }
  }
  distributed.InitExperts(mine);
  reference.InitExperts(all);
  int64_t sent = 0;
  for (int64_t step = 0; step < kSteps; ++step) {
    const StepOutcome d = distributed.Step(step, group, rank, world, plan, false);
    const StepOutcome r = reference.Step(step, {}, 0, 1, {}, false);
    sent += d.rows_sent;
    if (std::abs(d.loss - r.loss) > 1e-5 * std::max(1.0, std::abs(r.loss))) {
      std::fprintf(stderr, "rank %d step %ld: loss %.8f vs reference %.8f\n", rank, step, d.loss, r.loss);
      return 1;
    }
    if (!at::equal(d.load, r.load)) return 2;
  }
  const at::Tensor dense_diff =
      (distributed.DenseParameters() - reference.DenseParameters()).abs();  // see below
  if (dense_diff.max().item<double>() > 1e-4) {
    std::fprintf(stderr, "rank %d: dense parameters differ by up to %g (at %ld)\n", rank,
                 dense_diff.max().item<double>(), dense_diff.argmax().item<int64_t>());
    return 3;
  }
  for (const ExpertKey& k : mine) {
    // Adam divides by sqrt(v): where a gradient is near zero, rounding
    // differences in it move a parameter by a visible fraction of a step, so
    // the bound is 1% of the learning rate rather than float epsilon.
    if ((distributed.PackExpert(k) - reference.PackExpert(k)).abs().max().item<double>() > 1e-4) {
      const at::Tensor diff = (distributed.PackExpert(k) - reference.PackExpert(k)).abs();
      std::fprintf(stderr, "rank %d: expert %s differs by %g at %ld of %ld (value %g)\n", rank,
                   ExpertName(k).c_str(), diff.max().item<double>(), diff.argmax().item<int64_t>(),
                   diff.numel(), reference.PackExpert(k)[diff.argmax().item<int64_t>()].item<double>());
      return 4;
    }
  }
  // Replicas identical across ranks: sum of (replica − mean) over holders is 0 ⇔ all equal;
  // check by all-reducing each held expert with its holder count.
  for (int64_t l = 0; l < config.model.layers; ++l) {
    for (int64_t e = 0; e < config.model.experts; ++e) {
      int holders = 0;
      for (int j = 0; j < world; ++j) holders += plan[l][e][j] > 0;
      at::Tensor mineb = plan[l][e][rank] > 0
                             ? distributed.PackExpert({l, e})
                             : at::zeros({distributed.ExpertBufferSize()}, at::device(config.device));
      std::vector<at::Tensor> io = {mineb.clone()};
      group->allreduce(io)->wait();
      if (plan[l][e][rank] > 0 && !at::allclose(io[0] / holders, mineb, 1e-6, 1e-7)) return 5;
    }
  }
  if (world > 1 && sent == 0) return 6;  // the dispatcher moved no token at all
  return 0;
}

void RunCluster(int world, int64_t top_k) {
  absl::StatusOr<ByteCorpus> corpus = LoadSotuCorpus();
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  const std::string store_path = std::string(std::getenv("TEST_TMPDIR")) + "/store_" + std::to_string(world) +
                                 "_" + std::to_string(top_k);
  std::vector<pid_t> children;
  for (int rank = 0; rank < world; ++rank) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      alarm(120);
      at::set_num_threads(1);
      int code = 100;
      try {
        code = RunRank(store_path, rank, world, top_k, *corpus);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (int rank = 0; rank < world; ++rank) {
    int status = 0;
    ASSERT_EQ(waitpid(children[rank], &status, 0), children[rank]);
    ASSERT_TRUE(WIFEXITED(status)) << "rank " << rank << " died";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "rank " << rank << " (world " << world << ", top-" << top_k << ")";
  }
}

TEST(DispatchTest, FourRanksTop1MatchSingleProcess) { RunCluster(4, 1); }
TEST(DispatchTest, ThreeRanksTop2MatchSingleProcess) { RunCluster(3, 2); }

}  // namespace
}  // namespace warden::lazarus
