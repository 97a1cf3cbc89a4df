// GoogleTest matchers for absl::Status and absl::StatusOr<T> (testonly):
//
//   EXPECT_THAT(Load(path), IsOk());
//   EXPECT_THAT(Load(bad), StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(Load(bad), StatusIs(absl::StatusCode::kNotFound, HasSubstr(bad)));
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

#endif  // WARDEN_COMPONENTS_STATUS_STATUS_MATCHERS_H_
