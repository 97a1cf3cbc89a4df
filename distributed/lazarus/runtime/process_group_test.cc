// The runtime's process groups (runtime/process_group.h) on real c10d groups.
// Two forked ranks over Gloo run every collective the runtime uses and check
// the values they must produce; a rank that dies turns its peer's next
// collective into an exception within the timeout. Built as
// process_group_gpu_test (WARDEN_GPU_TEST, a CUDA LibTorch on a GPU machine)
// the same collectives move CUDA tensors through Gloo, and NCCL runs every
// collective on a world of one (one GPU cannot hold two NCCL ranks).
#include "distributed/lazarus/runtime/process_group.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/HashStore.hpp>

namespace warden::lazarus {
namespace {

#ifdef WARDEN_GPU_TEST
const at::Device kDevice(at::kCUDA, 0);
#else
const at::Device kDevice(at::kCPU);
#endif

// Returns 0 when every collective produced what it must on `rank` of 2.
int Collectives(c10d::ProcessGroup& g, int rank) {
  const auto on = at::device(kDevice);
  // allreduce: 1 + 2.
  std::vector<at::Tensor> t = {at::full({4}, static_cast<float>(rank + 1), on)};
  g.allreduce(t)->wait();
  if (!at::equal(t[0].cpu(), at::full({4}, 3.0f))) return 1;
  // broadcast from rank 1.
  std::vector<at::Tensor> b = {at::full({3}, static_cast<float>(10 * rank), on)};
  c10d::BroadcastOptions bo;
  bo.rootRank = 1;
  g.broadcast(b, bo)->wait();
  if (!at::equal(b[0].cpu(), at::full({3}, 10.0f))) return 2;
  // allgather of int64 counts (the dispatcher's step 1).
  std::vector<std::vector<at::Tensor>> gathered = {
      {at::zeros({2}, on.dtype(at::kLong)), at::zeros({2}, on.dtype(at::kLong))}};
  std::vector<at::Tensor> mine = {at::tensor({rank, 7 + rank}, at::kLong).to(kDevice)};
  g.allgather(gathered, mine)->wait();
  for (int j = 0; j < 2; ++j) {
    if (!at::equal(gathered[0][j].cpu(), at::tensor({j, 7 + j}, at::kLong))) return 3;
  }
  // all-to-all with unequal splits: rank 0 sends 1 row to itself and 2 to
  // rank 1; rank 1 sends 3 rows to rank 0 and none to itself.
  std::vector<int64_t> send = rank == 0 ? std::vector<int64_t>{1, 2} : std::vector<int64_t>{3, 0};
  std::vector<int64_t> recv = rank == 0 ? std::vector<int64_t>{1, 3} : std::vector<int64_t>{2, 0};
  at::Tensor rows = (at::arange(3 * 2, at::kFloat).view({3, 2}) + 100 * rank).to(kDevice);
  at::Tensor out = at::empty({rank == 0 ? 4 : 2, 2}, on);
  g.alltoall_base(out, rows, recv, send)->wait();
  const at::Tensor want =
      rank == 0 ? at::cat({at::tensor({0.f, 1.f}).view({1, 2}), at::arange(6, at::kFloat).view({3, 2}) + 100})
                : at::tensor({2.f, 3.f, 4.f, 5.f}).view({2, 2});
  if (!at::equal(out.cpu(), want)) return 4;
  // send/recv of host buffers (expert migration stages through the CPU).
  std::vector<at::Tensor> p2p = {rank == 0 ? at::arange(5, at::kFloat) : at::zeros({5})};
  if (rank == 0) {
    g.send(p2p, 1, 7)->wait();
  } else {
    g.recv(p2p, 0, 7)->wait();
    if (!at::equal(p2p[0], at::arange(5, at::kFloat))) return 5;
  }
  g.barrier()->wait();
  return 0;
}

// Forks `world` ranks that each run `body(rank, store path)` and returns their exit codes.
std::vector<int> Fork(int world, const std::string& name,
                      const std::function<int(int, const std::string&)>& body) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::vector<pid_t> pids;
  for (int rank = 0; rank < world; ++rank) {
    const pid_t pid = fork();
    if (pid == 0) {
      alarm(60);
      int code = 100;
      try {
        code = body(rank, path);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
      }
      _exit(code);
    }
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status));
  }
  return codes;
}

TEST(ProcessGroupTest, GlooRunsEveryCollectiveTheRuntimeUses) {
  const std::vector<int> codes = Fork(2, "gloo_collectives", [](int rank, const std::string& path) {
    auto store = c10::make_intrusive<c10d::FileStore>(path, 2);
    auto group = MakeGlooGroup(store, rank, 2, std::chrono::seconds(20));
    if (group->getRank() != rank || group->getSize() != 2) return 50;
    return Collectives(*group, rank);
  });
  EXPECT_EQ(codes, (std::vector<int>{0, 0}));
}

TEST(ProcessGroupTest, ADeadPeerTurnsTheNextCollectiveIntoAnException) {
  const std::vector<int> codes = Fork(2, "gloo_dead_peer", [](int rank, const std::string& path) {
    auto store = c10::make_intrusive<c10d::FileStore>(path, 2);
    auto group = MakeGlooGroup(store, rank, 2, std::chrono::milliseconds(1500));
    std::vector<at::Tensor> t = {at::ones({8}, at::device(kDevice))};
    group->allreduce(t)->wait();
    if (rank == 1) _exit(0);  // dies between collectives
    const auto start = std::chrono::steady_clock::now();
    try {
      group->allreduce(t)->wait();
    } catch (const std::exception&) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return s < 10 ? 0 : 2;  // failed, and within the timeout's order
    }
    return 1;  // a collective with a dead peer "succeeded"
  });
  EXPECT_EQ(codes, (std::vector<int>{0, 0}));
}

TEST(ProcessGroupTest, NcclIsAPreconditionErrorWithoutACudaLibTorch) {
  if (NcclCompiledIn()) GTEST_SKIP() << "this LibTorch has NCCL: process_group_gpu_test covers it";
  auto store = c10::make_intrusive<c10d::HashStore>();
  const auto group = MakeNcclGroup(store, 0, 1, std::chrono::seconds(5));
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(group.status().message().find("NCCL"), std::string::npos);
}

#ifdef WARDEN_GPU_TEST
TEST(ProcessGroupGpuTest, NcclRunsEveryCollectiveOnAWorldOfOne) {
  ASSERT_TRUE(NcclCompiledIn()) << "a GPU test needs a CUDA LibTorch";
  ASSERT_GT(torch::cuda::device_count(), 0u);
  auto store = c10::make_intrusive<c10d::HashStore>();
  auto group = MakeNcclGroup(store, 0, 1, std::chrono::seconds(30));
  ASSERT_TRUE(group.ok()) << group.status();
  c10d::ProcessGroup& g = **group;
  const auto on = at::device(kDevice);
  std::vector<at::Tensor> t = {at::arange(10, on.dtype(at::kFloat))};
  g.allreduce(t)->wait();
  EXPECT_TRUE(at::equal(t[0].cpu(), at::arange(10, at::kFloat)));
  c10d::BroadcastOptions bo;
  bo.rootRank = 0;
  g.broadcast(t, bo)->wait();
  std::vector<std::vector<at::Tensor>> gathered = {{at::zeros({3}, on.dtype(at::kLong))}};
  std::vector<at::Tensor> in = {at::tensor({4, 5, 6}, at::kLong).to(kDevice)};
  g.allgather(gathered, in)->wait();
  EXPECT_TRUE(at::equal(gathered[0][0].cpu(), in[0].cpu()));
  at::Tensor rows = at::randn({5, 3}, on);
  at::Tensor out = at::zeros({5, 3}, on);
  std::vector<int64_t> splits = {5};
  g.alltoall_base(out, rows, splits, splits)->wait();
  EXPECT_TRUE(at::equal(out, rows));
  g.barrier()->wait();
}
#endif

}  // namespace
}  // namespace warden::lazarus
