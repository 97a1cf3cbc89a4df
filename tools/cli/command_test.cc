#include "tools/cli/command.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warden::cli {
namespace {

using ::testing::HasSubstr;

class EchoCommand : public Command {
 public:
  std::string Summary() const override { return "prints its arguments"; }
  std::string ArgsUsage() const override { return "WORD..."; }
  void DefineFlags(FlagSet& flags) override { flags.Int("times", &times_, "repetitions"); }
  absl::Status Run(const std::vector<std::string>& args, std::ostream& out) override {
    if (args.empty()) return absl::InvalidArgumentError("expected at least one WORD");
    for (int64_t i = 0; i < times_; ++i) {
      for (const auto& a : args) out << a << " ";
    }
    return absl::OkStatus();
  }

 private:
  int64_t times_ = 1;
};

class ThrowingCommand : public Command {
 public:
  std::string Summary() const override { return "throws"; }
  absl::Status Run(const std::vector<std::string>&, std::ostream&) override {
    throw std::runtime_error("boom");
  }
};

struct Result {
  int code;
  std::string out, err;
};

class CommandRegistryTest : public ::testing::Test {
 protected:
  CommandRegistryTest() {
    registry_.AddGroup("text", "text utilities");
    registry_.Add("text", "echo", [] { return std::make_unique<EchoCommand>(); });
    registry_.Add("", "boom", [] { return std::make_unique<ThrowingCommand>(); });
    registry_.AddGlobalFlags([this](FlagSet& f) { f.String("data_dir", &data_dir_, "data"); },
                             [this] {
                               return data_dir_ == "/bad"
                                          ? absl::NotFoundError("no such data dir")
                                          : absl::OkStatus();
                             });
  }

  Result Run(std::vector<std::string> args) {
    args.insert(args.begin(), "warden");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    int code = registry_.Main(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
  }

  CommandRegistry registry_;
  std::string data_dir_;
};

TEST_F(CommandRegistryTest, RunsVerbWithFlags) {
  Result r = Run({"text", "echo", "--times=2", "hi"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "hi hi ");
}

TEST_F(CommandRegistryTest, HelpAtEveryLevel) {
  Result top = Run({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_THAT(top.out, HasSubstr("text"));
  EXPECT_THAT(top.out, HasSubstr("boom"));

  Result group = Run({"text", "--help"});
  EXPECT_EQ(group.code, 0);
  EXPECT_THAT(group.out, HasSubstr("echo"));
  EXPECT_THAT(group.out, HasSubstr("prints its arguments"));

  Result verb = Run({"text", "echo", "--help"});
  EXPECT_EQ(verb.code, 0);
  EXPECT_THAT(verb.out, HasSubstr("--times"));
  EXPECT_THAT(verb.out, HasSubstr("--data_dir"));
  EXPECT_THAT(verb.out, HasSubstr("WORD..."));
}

TEST_F(CommandRegistryTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(Run({}).code, 2);
  EXPECT_EQ(Run({"nope"}).code, 2);
  EXPECT_EQ(Run({"text"}).code, 2);
  Result unknown_verb = Run({"text", "shout"});
  EXPECT_EQ(unknown_verb.code, 2);
  EXPECT_THAT(unknown_verb.err, HasSubstr("unknown verb \"shout\""));
  Result bad_flag = Run({"text", "echo", "--times=x", "a"});
  EXPECT_EQ(bad_flag.code, 2);
  EXPECT_THAT(bad_flag.err, HasSubstr("--times"));
}

TEST_F(CommandRegistryTest, StatusErrorsBecomeOneLineAndExitCode) {
  Result r = Run({"text", "echo"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "warden text echo: expected at least one WORD\n");
}

TEST_F(CommandRegistryTest, GlobalFlagsApplyBeforeTheVerb) {
  Result ok = Run({"text", "echo", "--data_dir=/tmp", "x"});
  EXPECT_EQ(ok.code, 0);
  EXPECT_EQ(data_dir_, "/tmp");
  Result bad = Run({"text", "echo", "--data_dir=/bad", "x"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("no such data dir"));
  EXPECT_EQ(bad.out, "");
}

TEST_F(CommandRegistryTest, ExceptionsBecomeInternalErrors) {
  Result r = Run({"boom"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("boom"));
}

}  // namespace
}  // namespace warden::cli
