#include <string>

#include "components/status/status_macros.h"
#include "components/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace warden::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<int> Parse(const std::string& text) {
  if (text.empty()) return absl::InvalidArgumentError("empty number");
  return static_cast<int>(text.size());
}

absl::Status Check(int value) {
  if (value > 3) return absl::OutOfRangeError("too long");
  return absl::OkStatus();
}

// Both macros in one function: parse, check, then use the value.
absl::StatusOr<int> ParseAndCheck(const std::string& text, int* checks) {
  WARDEN_ASSIGN_OR_RETURN(const int value, Parse(text));
  WARDEN_RETURN_IF_ERROR(Check(value));
  ++*checks;
  int doubled = 0;
  WARDEN_ASSIGN_OR_RETURN(doubled, Parse(text + text));  // assigns an existing variable
  return doubled;
}

TEST(StatusMacrosTest, PassValuesThroughAndReturnTheFirstError) {
  int checks = 0;
  EXPECT_EQ(*ParseAndCheck("ab", &checks), 4);
  EXPECT_EQ(checks, 1);
  EXPECT_THAT(ParseAndCheck("", &checks), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ParseAndCheck("abcd", &checks), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(checks, 1);  // neither error reached the code after the macros
}

TEST(StatusMatchersTest, MatchStatusAndStatusOr) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(3), IsOk());
  EXPECT_THAT(absl::NotFoundError("x"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("no file a.txt")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("a.txt")));
  EXPECT_THAT(absl::NotFoundError("x"), Not(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(absl::NotFoundError("x"), Not(StatusIs(absl::StatusCode::kNotFound, HasSubstr("y"))));
}

}  // namespace
}  // namespace warden::testing
