// Checks the c10d wiring: two forked ranks build a ProcessGroupGloo over a
// FileStore and run the collectives the Lazarus runtime relies on
// (allreduce, variable-split all_to_all_single, broadcast).
#include <sys/wait.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace warden::third_party_tests {
namespace {

constexpr int kWorldSize = 2;

// Returns 0 if every check on this rank passed.
int RunRank(const std::string& store_path, int rank) {
  auto store = c10::make_intrusive<::c10d::FileStore>(store_path, kWorldSize);
  auto options = ::c10d::ProcessGroupGloo::Options::create();
  options->devices.push_back(::c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  ::c10d::ProcessGroupGloo group(store, rank, kWorldSize, options);

  // allreduce: 1 + 2 = 3 everywhere.
  std::vector<at::Tensor> reduce = {at::full({4}, static_cast<float>(rank + 1))};
  group.allreduce(reduce)->wait();
  if (!reduce[0].eq(3.0f).all().item<bool>()) return 1;

  // all_to_all_single with variable splits: rank r sends r+1 rows to each peer.
  const int64_t rows_out = kWorldSize * (rank + 1);
  at::Tensor input = at::full({rows_out, 2}, static_cast<float>(rank));
  std::vector<int64_t> out_splits = {rank + 1, rank + 1};
  std::vector<int64_t> in_splits = {1, 2};  // rank 0 sends 1 row, rank 1 sends 2
  at::Tensor output = at::empty({3, 2});
  group.alltoall_base(output, input, in_splits, out_splits)->wait();
  if (output[0].eq(0.0f).all().item<bool>() == false) return 2;
  if (output.slice(0, 1, 3).eq(1.0f).all().item<bool>() == false) return 3;

  // broadcast from rank 1.
  std::vector<at::Tensor> bcast = {at::full({3}, static_cast<float>(10 * rank))};
  ::c10d::BroadcastOptions bopts;
  bopts.rootRank = 1;
  group.broadcast(bcast, bopts)->wait();
  if (!bcast[0].eq(10.0f).all().item<bool>()) return 4;
  return 0;
}

TEST(C10dGlooTest, TwoProcessCollectives) {
  const std::string store_path = std::string(std::getenv("TEST_TMPDIR")) + "/c10d_store";
  std::vector<pid_t> children;
  for (int rank = 0; rank < kWorldSize; ++rank) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      alarm(60);  // a hung collective must not hang the test
      int code = 100;
      try {
        code = RunRank(store_path, rank);
      } catch (const std::exception& e) {
        fprintf(stderr, "rank %d: %s\n", rank, e.what());
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (int rank = 0; rank < kWorldSize; ++rank) {
    int status = 0;
    ASSERT_EQ(waitpid(children[rank], &status, 0), children[rank]);
    ASSERT_TRUE(WIFEXITED(status)) << "rank " << rank << " died";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "rank " << rank << " failed check";
  }
}

}  // namespace
}  // namespace warden::third_party_tests
