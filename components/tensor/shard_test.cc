// --shard parsing: explicit K/N, Slurm array tasks (with a minimum and a step),
// Kubernetes Indexed Jobs, and every malformed or inconsistent spec refused.
#include "components/tensor/shard.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace warden::tensor {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ShardTest, ExplicitSpecs) {
  const EnvLookup none = Env({});
  ASSERT_TRUE(ParseShard("", none).ok());
  EXPECT_EQ(ParseShard("", none)->ToString(), "0/1");
  EXPECT_EQ(ParseShard("2/3", none)->ToString(), "2/3");
  for (const char* bad : {"3/3", "-1/3", "1/0", "a/3", "1/b", "1", "1/2/3", "auto/0", "1/", "/2"})
    EXPECT_FALSE(ParseShard(bad, none).ok()) << bad;
}

TEST(ShardTest, RoundRobinCoversEveryItemOnce) {
  for (int64_t total : {0, 1, 7, 10}) {
    int64_t owned = 0;
    for (int64_t k = 0; k < 3; ++k) {
      const Shard shard{k, 3};
      int64_t mine = 0;
      for (int64_t i = 0; i < total; ++i) mine += shard.Owns(i);
      EXPECT_EQ(mine, shard.OwnedOf(total)) << k << " of " << total;
      owned += mine;
    }
    EXPECT_EQ(owned, total);
  }
}

TEST(ShardTest, SlurmArrayTasks) {
  EXPECT_EQ(
      ParseShard("auto", Env({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}))->ToString(),
      "2/4");
  // --array=10-16:3 runs tasks 10, 13, 16.
  EXPECT_EQ(ParseShard("auto", Env({{"SLURM_ARRAY_TASK_ID", "13"},
                                    {"SLURM_ARRAY_TASK_MIN", "10"},
                                    {"SLURM_ARRAY_TASK_STEP", "3"},
                                    {"SLURM_ARRAY_TASK_COUNT", "3"}}))
                ->ToString(),
            "1/3");
  EXPECT_EQ(ParseShard("auto/4", Env({{"SLURM_ARRAY_TASK_ID", "3"}}))->ToString(), "3/4");
  EXPECT_FALSE(ParseShard("auto", Env({{"SLURM_ARRAY_TASK_ID", "3"}})).ok());  // no count anywhere
  EXPECT_FALSE(
      ParseShard("auto/5", Env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}})).ok());
  EXPECT_FALSE(ParseShard("auto", Env({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}})).ok());
  EXPECT_FALSE(ParseShard("auto", Env({{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "4"}})).ok());
  EXPECT_FALSE(ParseShard("auto", Env({{"SLURM_ARRAY_TASK_ID", "11"},
                                       {"SLURM_ARRAY_TASK_MIN", "10"},
                                       {"SLURM_ARRAY_TASK_STEP", "3"},
                                       {"SLURM_ARRAY_TASK_COUNT", "3"}}))
                   .ok());
}

TEST(ShardTest, KubernetesIndexedJobs) {
  EXPECT_EQ(ParseShard("auto/8", Env({{"JOB_COMPLETION_INDEX", "5"}}))->ToString(), "5/8");
  EXPECT_FALSE(ParseShard("auto", Env({{"JOB_COMPLETION_INDEX", "5"}})).ok());  // N must be given
  EXPECT_FALSE(ParseShard("auto/4", Env({{"JOB_COMPLETION_INDEX", "5"}})).ok());
  EXPECT_FALSE(ParseShard("auto/4", Env({})).ok());  // no scheduler
}

}  // namespace
}  // namespace warden::tensor
