// The raw-NCCL process group on a GPU machine (tagged gpu/manual: CI only
// builds it). World 1: every collective the Lazarus runtime uses, on CPU
// tensors (staged through the device). With 2 GPUs: 2 forked ranks check
// allreduce, allgather and a variable-split all-to-all against the values they
// must produce, then rank 1 exits and rank 0's next collective must throw
// within the timeout rather than hang.
#include "distributed/lazarus/runtime/nccl_group.h"

#include <sys/wait.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/torch.h>

#include <cstdio>

#include <gtest/gtest.h>

namespace warden::lazarus {
namespace {

TEST(NcclGroupTest, EveryCollectiveOnAWorldOfOne) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no GPU";
  auto store = c10::make_intrusive<c10d::HashStore>();
  auto group = CreateNcclGroup(store, 0, 1, std::chrono::seconds(20));
  ASSERT_TRUE(group.ok()) << group.status();
  c10d::ProcessGroup& g = **group;

  std::vector<at::Tensor> t = {at::arange(10, at::kFloat)};
  g.allreduce(t)->wait();
  EXPECT_TRUE(at::equal(t[0], at::arange(10, at::kFloat)));
  c10d::BroadcastOptions bo;
  bo.rootRank = 0;
  g.broadcast(t, bo)->wait();
  EXPECT_TRUE(at::equal(t[0], at::arange(10, at::kFloat)));

  std::vector<std::vector<at::Tensor>> gathered = {{at::zeros({3}, at::kLong)}};
  std::vector<at::Tensor> in = {at::tensor({4, 5, 6}, at::kLong)};
  g.allgather(gathered, in)->wait();
  EXPECT_TRUE(at::equal(gathered[0][0], in[0]));

  at::Tensor rows = at::randn({5, 3});
  at::Tensor out = at::zeros({5, 3});
  std::vector<int64_t> splits = {5};
  g.alltoall_base(out, rows, splits, splits)->wait();
  EXPECT_TRUE(at::equal(out, rows));
  g.barrier()->wait();

  std::vector<at::Tensor> bad = {at::zeros({2}, at::kComplexFloat)};
  EXPECT_THROW(g.allreduce(bad), std::exception);
}

int Rank(const std::string& path, int rank) {
  auto store = c10::make_intrusive<c10d::FileStore>(path, 2);
  auto group = CreateNcclGroup(store, rank, 2, std::chrono::seconds(5));
  if (!group.ok()) return 10;
  c10d::ProcessGroup& g = **group;
  std::vector<at::Tensor> t = {at::full({4}, static_cast<float>(rank + 1))};
  g.allreduce(t)->wait();
  if (!at::equal(t[0], at::full({4}, 3.0f))) return 11;

  std::vector<std::vector<at::Tensor>> gathered = {{at::zeros({2}), at::zeros({2})}};
  std::vector<at::Tensor> in = {at::full({2}, static_cast<float>(rank))};
  g.allgather(gathered, in)->wait();
  if (!at::equal(gathered[0][1], at::ones({2}))) return 12;

  // Rank 0 sends 1 row to itself and 2 to rank 1; rank 1 sends 3 to rank 0 and 0 to itself.
  const std::vector<int64_t> send = rank == 0 ? std::vector<int64_t>{1, 2} : std::vector<int64_t>{3, 0};
  const std::vector<int64_t> recv = rank == 0 ? std::vector<int64_t>{1, 3} : std::vector<int64_t>{2, 0};
  at::Tensor rows = at::arange(send[0] + send[1], at::kFloat).view({-1, 1}) + 10 * rank;
  at::Tensor out = at::zeros({recv[0] + recv[1], 1});
  std::vector<int64_t> s = send, r = recv;
  g.alltoall_base(out, rows, r, s)->wait();
  const at::Tensor want = rank == 0 ? at::tensor({0.f, 10.f, 11.f, 12.f}) : at::tensor({1.f, 2.f});
  if (!at::equal(out.view({-1}), want)) return 13;

  if (rank == 1) _exit(0);  // a dead peer
  try {
    g.allreduce(t)->wait();
  } catch (const std::exception&) {
    return 0;  // detected
  }
  return 14;
}

TEST(NcclGroupTest, TwoRanksAndADeadPeer) {
  if (CudaDeviceCount() < 2) GTEST_SKIP() << "needs 2 GPUs";
  const std::string path = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/nccl_store";
  std::remove(path.c_str());
  std::vector<pid_t> pids;
  for (int rank = 0; rank < 2; ++rank) {
    const pid_t pid = fork();
    if (pid == 0) _exit(Rank(path, rank));
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
}

}  // namespace
}  // namespace warden::lazarus
