// Data-parallel SAE training over real c10d Gloo groups of forked ranks.
#include "distributed/data_parallel/data_parallel.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "components/clip/default_encoder.h"
#include "components/clip/pretrain.h"
#include "components/clip/vocab.h"
#include "components/sae/sae_train.h"

namespace warden::data_parallel {
namespace {

tensor::EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

TEST(LaunchEnvTest, ReadsTorchrunVariables) {
  absl::StatusOr<std::optional<LaunchEnv>> none = LaunchEnvFromEnvironment(FakeEnv({}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  absl::StatusOr<std::optional<LaunchEnv>> env = LaunchEnvFromEnvironment(
      FakeEnv({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29500"}}));
  ASSERT_TRUE(env.ok()) << env.status();
  ASSERT_TRUE(env->has_value());
  EXPECT_EQ((*env)->rank, 3);
  EXPECT_EQ((*env)->world, 4);
  EXPECT_EQ((*env)->master_addr, "node7");
  EXPECT_EQ((*env)->master_port, 29500);
  // Partial or malformed sets name the variable.
  const std::map<std::string, std::string> good = {
      {"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};
  for (const auto& [name, bad] : std::map<std::string, std::string>{{"RANK", "2"},
                                                                    {"WORLD_SIZE", "0"},
                                                                    {"MASTER_PORT", "70000"},
                                                                    {"MASTER_ADDR", ""},
                                                                    {"RANK", "x"}}) {
    std::map<std::string, std::string> vars = good;
    vars[name] = bad;
    absl::StatusOr<std::optional<LaunchEnv>> e = LaunchEnvFromEnvironment(FakeEnv(vars));
    ASSERT_FALSE(e.ok()) << name << "=" << bad;
    EXPECT_NE(std::string(e.status().message()).find(name), std::string::npos) << e.status();
  }
  std::map<std::string, std::string> no_port = good;
  no_port.erase("MASTER_PORT");
  EXPECT_FALSE(LaunchEnvFromEnvironment(FakeEnv(no_port)).ok());
}

sae::SaeConfig SmallSae() {
  sae::SaeConfig c;
  c.d_model = 256;
  c.n_latents = 512;
  c.k = 16;
  c.auxk = 32;
  c.dead_steps = 2;  // so that AuxK (and its global normaliser) runs within the test
  return c;
}

sae::SaeTrainConfig SmallTraining() {
  sae::SaeTrainConfig t;
  t.steps = 12;
  t.batch_prompts = 13;  // odd: the two ranks get 7 and 6 prompts
  t.init_prompts = 40;
  t.learning_rate = 2e-3;
  t.warmup_steps = 3;
  return t;
}

// Trains the small SAE as `collective`'s rank (or alone); rank 0 writes it.
absl::StatusOr<sae::SaeTrainReport> Train(sae::StepCollective* collective, const std::string& out) {
  absl::StatusOr<std::unique_ptr<clip::ClipTokenizer>> tokenizer = clip::LoadClipTokenizer();
  if (!tokenizer.ok()) return tokenizer.status();
  absl::StatusOr<clip::ClipTextModel> model = clip::LoadTextEncoder("");
  if (!model.ok()) return model.status();
  absl::StatusOr<std::vector<std::string>> prompts = clip::PretrainCorpus(0, 400, 0);
  if (!prompts.ok()) return prompts.status();
  // A different seed per rank: the broadcast from rank 0 must make them equal.
  torch::manual_seed(collective == nullptr ? 0 : collective->rank());
  sae::TopKSae sae(SmallSae());
  absl::StatusOr<sae::SaeTrainReport> report =
      sae::TrainSaeOnClip(sae, *model, **tokenizer, *prompts, SmallTraining(), {}, collective);
  if (!report.ok()) return report.status();
  if (absl::Status s = sae::SaveSae(sae, out); !s.ok()) return s;  // every rank: replicas must agree
  return report;
}

// One forked rank: joins over TCPStore + Gloo from a LaunchEnv, trains, and
// writes its weights; the exit code says which stage failed.
int RunRank(int rank, int port, const std::string& dir) {
  at::set_num_threads(1);
  LaunchEnv env;
  env.rank = rank;
  env.world = 2;
  env.master_port = port;
  absl::StatusOr<std::unique_ptr<C10dCollective>> group = JoinGroup(env, std::chrono::seconds(60));
  if (!group.ok()) {
    std::fprintf(stderr, "rank %d: %s\n", rank, std::string(group.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<sae::SaeTrainReport> report =
      Train(group->get(), dir + "/rank" + std::to_string(rank) + ".safetensors");
  if (!report.ok()) {
    std::fprintf(stderr, "rank %d: %s\n", rank, std::string(report.status().message()).c_str());
    return 3;
  }
  std::ofstream(dir + "/rank" + std::to_string(rank) + ".txt")
      << report->tokens << " " << report->final_fvu << " " << report->dead.back() << "\n";
  return 0;
}

TEST(DataParallelSaeTest, TwoRanksTrainTheWeightsOfOneProcess) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  absl::StatusOr<int> port = FreeLocalPort();
  ASSERT_TRUE(port.ok()) << port.status();
  // Fork before this process runs any torch code (its thread pools must not
  // exist in the children).
  pid_t pids[2];
  for (int rank = 0; rank < 2; ++rank) {
    pids[rank] = fork();
    ASSERT_GE(pids[rank], 0);
    if (pids[rank] == 0) _exit(RunRank(rank, *port, dir));
  }
  for (int rank = 0; rank < 2; ++rank) {
    int status = 0;
    waitpid(pids[rank], &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << "rank " << rank << " died";
    ASSERT_EQ(WEXITSTATUS(status), 0) << "rank " << rank;
  }
  absl::StatusOr<sae::SaeTrainReport> alone = Train(nullptr, dir + "/alone.safetensors");
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_GT(alone->dead.back(), 0) << "AuxK never ran: the test would miss its normaliser";

  absl::StatusOr<sae::TopKSae> rank0 = sae::LoadSae(dir + "/rank0.safetensors");
  absl::StatusOr<sae::TopKSae> rank1 = sae::LoadSae(dir + "/rank1.safetensors");
  absl::StatusOr<sae::TopKSae> single = sae::LoadSae(dir + "/alone.safetensors");
  ASSERT_TRUE(rank0.ok() && rank1.ok() && single.ok());
  auto single_params = (*single)->named_parameters();
  auto rank1_params = (*rank1)->named_parameters();
  for (const auto& p : (*rank0)->named_parameters()) {
    const double diff = (p.value() - single_params[p.key()]).abs().max().item<double>();
    EXPECT_LE(diff, 1e-5) << p.key();
    EXPECT_TRUE(at::equal(p.value(), rank1_params[p.key()])) << p.key() << ": the replicas drifted apart";
  }
  // Both ranks saw the global token count and loss.
  for (int rank = 0; rank < 2; ++rank) {
    std::ifstream in(dir + "/rank" + std::to_string(rank) + ".txt");
    int64_t tokens = 0;
    double fvu = 0, dead = 0;
    ASSERT_TRUE(in >> tokens >> fvu >> dead) << "rank " << rank;
    EXPECT_EQ(tokens, alone->tokens) << "rank " << rank;
    EXPECT_NEAR(fvu, alone->final_fvu, 1e-5) << "rank " << rank;
    EXPECT_EQ(dead, alone->dead.back()) << "rank " << rank;
  }
}

// A group whose peer never comes fails the join within the timeout, with the
// address in the message.
TEST(DataParallelSaeTest, AMissingPeerFailsTheJoin) {
  absl::StatusOr<int> port = FreeLocalPort();
  ASSERT_TRUE(port.ok());
  LaunchEnv env;
  env.world = 2;
  env.master_port = *port;
  absl::StatusOr<std::unique_ptr<C10dCollective>> group = JoinGroup(env, std::chrono::seconds(2));
  ASSERT_FALSE(group.ok());
  EXPECT_NE(std::string(group.status().message()).find(std::to_string(*port)), std::string::npos);
}

TEST(DataParallelSaeTest, LocalLauncherReportsTheFailingRank) {
  // /bin/sh exits with the rank's number: rank 1 fails.
  absl::Status s = RunLocalRanks({"/bin/sh", "-c", "exit $RANK"}, 2);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("rank 1 of 2"), std::string::npos) << s;
  EXPECT_TRUE(RunLocalRanks({"/bin/sh", "-c", "test $WORLD_SIZE = 3 && test -n \"$MASTER_PORT\""}, 3).ok());
  EXPECT_FALSE(RunLocalRanks({"/bin/sh", "-c", "true"}, 0).ok());
}

}  // namespace
}  // namespace warden::data_parallel
