// Errors inside Mercato are absl::Status. A status may carry a stable snake_case error code
// (part of the public HTTP API, e.g. "out_of_stock") and a Retry-After hint; they travel
// between services in grpc::Status::error_details() (see grpc/status_conversion.h) and end
// up in the gateway's JSON error body.
//
//   return mercato::ErrorWithCode(absl::StatusCode::kFailedPrecondition, "out_of_stock",
//                                 "not enough stock for 'Chef knife'");
//   ...
//   mercato::ErrorCodeOf(status);   // "out_of_stock"
//   mercato::HttpStatusOf(status);  // 409
#pragma once

#include <string>


#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mercato {

// A status with a Mercato error code (and optionally a retry-after hint in seconds).
absl::Status ErrorWithCode(absl::StatusCode code, absl::string_view error_code,
                           absl::string_view message, int retry_after_seconds = 0);

// Returns `status` with the error code / retry-after attached (no-op on OK).
absl::Status WithErrorCode(absl::Status status, absl::string_view error_code);
absl::Status WithRetryAfter(absl::Status status, int retry_after_seconds);

// The attached error code, or the default one for the status code ("not_found", ...).
std::string ErrorCodeOf(const absl::Status& status);
// The attached error code only; empty when none was attached.
std::string ExplicitErrorCodeOf(const absl::Status& status);
// The attached retry-after hint in seconds; 0 when none.
int RetryAfterOf(const absl::Status& status);

// The default snake_case error code for a status code.
absl::string_view DefaultErrorCode(absl::StatusCode code);

// The one mapping from a status to an HTTP status code:
//   NOT_FOUND 404, INVALID_ARGUMENT/OUT_OF_RANGE 400, FAILED_PRECONDITION/ALREADY_EXISTS/
//   ABORTED 409, UNAUTHENTICATED 401, PERMISSION_DENIED 403, RESOURCE_EXHAUSTED 429,
//   UNAVAILABLE 503, DEADLINE_EXCEEDED 504, UNIMPLEMENTED 501, others 500;
// except the error codes that have an HTTP status of their own:
//   payment_declined / insufficient_funds 402, idempotency_key_reused 422, cart_empty 400.
int HttpStatusOf(const absl::Status& status);

}  // namespace mercato
