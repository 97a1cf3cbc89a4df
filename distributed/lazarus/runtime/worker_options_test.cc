// The worker's one config path (worker_options.h): the controller's JSON
// document round-trips every field, and anything else is a named error.
#include "distributed/lazarus/runtime/worker_options.h"

#include <string>
#include <vector>

#include "components/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace warden::lazarus {
namespace {

using ::testing::HasSubstr;
using ::warden::testing::StatusIs;

WorkerOptions NonDefault() {
  WorkerOptions o;
  o.steps = 77;
  o.train.model.context = 24;
  o.train.model.width = 48;
  o.train.model.heads = 3;
  o.train.model.layers = 3;
  o.train.model.experts = 6;
  o.train.model.expert_hidden = 40;
  o.train.model.top_k = 2;
  o.train.model.gate_skew = 1.5;
  o.train.global_batch = 12;
  o.train.learning_rate = 1e-3;
  o.train.seed = 9;
  o.checkpoint = "/tmp/c.safetensors";
  o.checkpoint_every = 5;
  o.collective_timeout_ms = 1234;
  o.final_state = "/tmp/f.safetensors";
  o.skip_steps = {3, 8};
  o.reduce_faults = {{2, 11}};
  return o;
}

TEST(WorkerOptionsTest, JsonRoundTripsEveryField) {
  const WorkerOptions o = NonDefault();
  absl::StatusOr<WorkerOptions> back = WorkerOptionsFromJson(WorkerConfigJson(o), 4321, 7);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->port, 4321);
  EXPECT_EQ(back->id, 7);
  EXPECT_EQ(WorkerConfigJson(*back), WorkerConfigJson(o));
  EXPECT_EQ(back->train.model.top_k, 2);
  EXPECT_EQ(back->skip_steps, (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(back->train.seed, 9u);
  EXPECT_EQ(back->reduce_faults, (std::vector<std::pair<int, int64_t>>{{2, 11}}));
  // Fields left out keep their defaults.
  absl::StatusOr<WorkerOptions> defaults = WorkerOptionsFromJson("{}", 1, 0);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(WorkerConfigJson(*defaults), WorkerConfigJson(WorkerOptions()));
  // NCCL implies CUDA.
  EXPECT_EQ(WorkerOptionsFromJson(R"({"backend": "nccl"})", 1, 0)->device, "cuda");
}

TEST(WorkerOptionsTest, BadDocumentsAreNamedErrors) {
  const auto bad = [](const std::string& json) { return WorkerOptionsFromJson(json, 1, 0).status(); };
  EXPECT_THAT(bad("{"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not JSON")));
  EXPECT_THAT(bad("[1]"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
  EXPECT_THAT(bad(R"({"stepz": 3})"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"stepz\"")));
  EXPECT_THAT(bad(R"({"model": {"widht": 3}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("model.widht")));
  EXPECT_THAT(bad(R"({"steps": "ten"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"steps\"")));
  EXPECT_THAT(bad(R"({"model": 3})"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("model")));
  EXPECT_THAT(bad(R"({"backend": "mpi"})"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mpi")));
  EXPECT_THAT(bad(R"({"device": "tpu"})"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tpu")));
  EXPECT_THAT(bad(R"({"model": {"width": 30, "heads": 4}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("divisible")));
  EXPECT_THAT(bad(R"({"model": {"top_k": 9}})"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad(R"({"reduce_faults": [[1]]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reduce_faults")));
  EXPECT_THAT(WorkerOptionsFromJson("{}", 0, 0).status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WorkerOptionsTest, TheCommandLineIsOnlyPortAndId) {
  std::vector<std::string> args = WorkerArgs({5000, 3});
  ASSERT_EQ(args.size(), 2u);
  std::vector<char*> argv = {const_cast<char*>("lazarus_worker")};
  for (std::string& a : args) argv.push_back(a.data());
  absl::StatusOr<WorkerAddress> address = ParseWorkerArgs(static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->port, 5000);
  EXPECT_EQ(address->id, 3);
  auto parse = [](std::vector<std::string> a) {
    std::vector<char*> v = {const_cast<char*>("lazarus_worker")};
    for (std::string& s : a) v.push_back(s.data());
    return ParseWorkerArgs(static_cast<int>(v.size()), v.data()).status();
  };
  EXPECT_THAT(parse({"--port=5000", "--id=1", "--steps=3"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only --port and --id")));
  EXPECT_THAT(parse({"--port=5000"}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("usage")));
  EXPECT_THAT(parse({"--port=x", "--id=1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad value")));
}

}  // namespace
}  // namespace warden::lazarus
