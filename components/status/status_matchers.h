// GoogleTest matchers for absl::Status and absl::StatusOr<T> (testonly):
//
//   EXPECT_THAT(Load(path), IsOk());
//   EXPECT_THAT(Load(bad), StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(Load(bad), StatusIs(absl::StatusCode::kNotFound, HasSubstr(bad)));
//   ASSERT_OK(Save(path));
//   ASSERT_OK_AND_ASSIGN(const Model m, Load(path));  // fails the test unless OK
#ifndef WARDEN_COMPONENTS_STATUS_STATUS_MATCHERS_H_
#define WARDEN_COMPONENTS_STATUS_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace warden::testing {
namespace internal {

inline const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::StatusOf(arg);
  *result_listener << "whose status is " << status.ToString();
  return status.ok();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& status = internal::StatusOf(arg);
  *result_listener << "whose status is " << status.ToString();
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = internal::StatusOf(arg);
  *result_listener << "whose status is " << status.ToString();
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()), result_listener);
}

}  // namespace warden::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::warden::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  WARDEN_ASSERT_OK_AND_ASSIGN_IMPL_(WARDEN_MATCHERS_CONCAT_(status_or_, __LINE__), lhs, rexpr)
#define WARDEN_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                      \
  ASSERT_THAT(statusor, ::warden::testing::IsOk());             \
  lhs = *std::move(statusor)
#define WARDEN_MATCHERS_CONCAT_(a, b) WARDEN_MATCHERS_CONCAT_INNER_(a, b)
#define WARDEN_MATCHERS_CONCAT_INNER_(a, b) a##b

#endif  // WARDEN_COMPONENTS_STATUS_STATUS_MATCHERS_H_
