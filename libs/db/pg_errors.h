// The one place libpqxx exceptions become absl::Status:
//   broken connection / in-doubt commit   -> UNAVAILABLE
//   unique violation                      -> ALREADY_EXISTS
//   check / foreign-key / not-null        -> FAILED_PRECONDITION
//   serialization failure / deadlock      -> ABORTED (PgPool::Transact retries these)
//   data exception (bad uuid, overflow)   -> INVALID_ARGUMENT
//   anything else                         -> INTERNAL (details logged, not returned)
#pragma once

#include <exception>

#include "absl/status/status.h"

namespace mercato {

// Call from inside a catch block: translates the exception being handled.
absl::Status StatusFromCurrentException();

// True for the ABORTED statuses of a serialization failure or deadlock, which a fresh
// attempt of the whole transaction may cure (and not for ABORTED returned by business code).
bool IsRetryableTransactionError(const absl::Status& status);

}  // namespace mercato
