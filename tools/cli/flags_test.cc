#include "tools/cli/flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warden::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Config {
  std::string model = "default";
  int64_t n = 100000;
  double alpha = 0.001;
  bool json = false;
};

FlagSet Bind(Config& c) {
  FlagSet flags;
  flags.String("model", &c.model, "model file");
  flags.Int("n", &c.n, "samples");
  flags.Double("alpha", &c.alpha, "failure probability");
  flags.Bool("json", &c.json, "print JSON");
  return flags;
}

TEST(FlagSetTest, ParsesAllFormsAndKeepsPositionalOrder) {
  Config c;
  FlagSet flags = Bind(c);
  std::vector<std::string> positional;
  ASSERT_TRUE(flags
                  .Parse({"in.bin", "--model=m.pt", "--n", "42", "--alpha=1e-6", "--json", "out.tsv", "--",
                          "--not-a-flag"},
                         &positional)
                  .ok());
  EXPECT_EQ(c.model, "m.pt");
  EXPECT_EQ(c.n, 42);
  EXPECT_DOUBLE_EQ(c.alpha, 1e-6);
  EXPECT_TRUE(c.json);
  EXPECT_THAT(positional, ElementsAre("in.bin", "out.tsv", "--not-a-flag"));
}

TEST(FlagSetTest, NegatedAndExplicitBooleans) {
  Config c;
  c.json = true;
  FlagSet flags = Bind(c);
  std::vector<std::string> positional;
  ASSERT_TRUE(flags.Parse({"--nojson"}, &positional).ok());
  EXPECT_FALSE(c.json);
  ASSERT_TRUE(flags.Parse({"--json=true"}, &positional).ok());
  EXPECT_TRUE(c.json);
}

TEST(FlagSetTest, RejectsUnknownFlagsAndBadValues) {
  Config c;
  FlagSet flags = Bind(c);
  std::vector<std::string> positional;
  absl::Status unknown = flags.Parse({"--modle=x"}, &positional);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("--modle"));

  absl::Status bad_int = flags.Parse({"--n=ten"}, &positional);
  EXPECT_THAT(bad_int.message(), HasSubstr("expected an integer, got \"ten\""));
  EXPECT_EQ(c.n, 100000);  // unchanged

  EXPECT_FALSE(flags.Parse({"--alpha"}, &positional).ok());  // missing value
  EXPECT_FALSE(flags.Parse({"--json=maybe"}, &positional).ok());
}

TEST(FlagSetTest, UsageShowsDefaults) {
  Config c;
  FlagSet flags = Bind(c);
  const std::string usage = flags.Usage();
  EXPECT_THAT(usage, HasSubstr("--alpha"));
  EXPECT_THAT(usage, HasSubstr("default 0.001"));
  EXPECT_THAT(usage, HasSubstr("default \"default\""));
  EXPECT_LT(usage.find("--alpha"), usage.find("--n "));  // sorted
}

TEST(ListTest, IntegersAndNumbers) {
  EXPECT_THAT(*ParseIntList("n", "2, 4,8 "), ElementsAre(2, 4, 8));
  EXPECT_THAT(*ParseIntList("n", "-3"), ElementsAre(-3));
  EXPECT_THAT(*ParseNumberList("eps", "4/255,0.5, 1e-3"), ElementsAre(4.0 / 255, 0.5, 1e-3));
  EXPECT_THAT(*ParseNumberList("eps", "-1/4"), ElementsAre(-0.25));
}

TEST(ListTest, BadListsNameTheFlagAndItem) {
  EXPECT_THAT(ParseIntList("counts", "1,x,3").status().message(),
              HasSubstr("--counts: 'x' is not a whole number"));
  EXPECT_THAT(ParseIntList("counts", "1.5").status().message(), HasSubstr("'1.5' is not a whole number"));
  EXPECT_THAT(ParseIntList("counts", " , ").status().message(), HasSubstr("--counts is empty"));
  EXPECT_THAT(ParseNumberList("eps", "eight").status().message(),
              HasSubstr("--eps: 'eight' is not a number"));
  for (const char* bad : {"1/0", "1/-2", "1/2/3", "inf", "nan", "1/inf", "/2", ""}) {
    EXPECT_FALSE(ParseNumberList("eps", bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace warden::cli
