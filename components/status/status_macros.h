// Early returns for absl::Status and absl::StatusOr at API boundaries:
//
//   WARDEN_RETURN_IF_ERROR(WriteHeader(out));
//   WARDEN_ASSIGN_OR_RETURN(Tensor t, LoadTensor(path));
//
// Each returns the failing status from the enclosing function (which returns
// absl::Status or any absl::StatusOr<T>).
#ifndef WARDEN_COMPONENTS_STATUS_STATUS_MACROS_H_
#define WARDEN_COMPONENTS_STATUS_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WARDEN_RETURN_IF_ERROR(expr)                                    \
  do {                                                                  \
    if (::absl::Status warden_status_ = (expr); !warden_status_.ok()) { \
      return warden_status_;                                            \
    }                                                                   \
  } while (false)

// `lhs` may declare a variable (`T x`, `auto x`) or name an existing one.
#define WARDEN_ASSIGN_OR_RETURN(lhs, rexpr) \
  WARDEN_ASSIGN_OR_RETURN_IMPL_(WARDEN_STATUS_CONCAT_(warden_statusor_, __LINE__), lhs, rexpr)

#define WARDEN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#define WARDEN_STATUS_CONCAT_(a, b) WARDEN_STATUS_CONCAT_INNER_(a, b)
#define WARDEN_STATUS_CONCAT_INNER_(a, b) a##b

#endif  // WARDEN_COMPONENTS_STATUS_STATUS_MACROS_H_
