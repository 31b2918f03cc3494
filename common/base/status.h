// Status helpers over absl::Status: the one in-house RETURN_IF_ERROR / ASSIGN_OR_RETURN, and IgnoreError() for
// the places where dropping a status is deliberate (search for it to find every one).
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jinguo {

// Marks a status as deliberately ignored.
inline void IgnoreError(const absl::Status&) {}

}  // namespace jinguo

#define JINGUO_STATUS_CONCAT_INNER_(a, b) a##b
#define JINGUO_STATUS_CONCAT_(a, b) JINGUO_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status jinguo_status_ = (expr);          \
    if (!jinguo_status_.ok()) return jinguo_status_; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates the StatusOr `expr`; returns its status when not OK, otherwise moves
// the value into `lhs` (which may be a declaration, e.g. `auto x`).
#define ASSIGN_OR_RETURN(lhs, expr) \
  JINGUO_ASSIGN_OR_RETURN_IMPL_(JINGUO_STATUS_CONCAT_(jinguo_statusor_, __LINE__), lhs, expr)
#define JINGUO_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)
