#include "common/status.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mercato {
namespace {

constexpr absl::string_view kCodePayload = "mercato.dev/error_code";
constexpr absl::string_view kRetryAfterPayload = "mercato.dev/retry_after_seconds";

}  // namespace

absl::Status WithErrorCode(absl::Status status, absl::string_view error_code) {
  if (!status.ok() && !error_code.empty()) {
    status.SetPayload(kCodePayload, absl::Cord(error_code));
  }
  return status;
}

absl::Status WithRetryAfter(absl::Status status, int retry_after_seconds) {
  if (!status.ok() && retry_after_seconds > 0) {
    status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(retry_after_seconds)));
  }
  return status;
}

absl::Status ErrorWithCode(absl::StatusCode code, absl::string_view error_code,
                           absl::string_view message, int retry_after_seconds) {
  return WithRetryAfter(WithErrorCode(absl::Status(code, message), error_code),
                        retry_after_seconds);
}

std::string ExplicitErrorCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kCodePayload);
  return payload ? std::string(*payload) : std::string();
}

std::string ErrorCodeOf(const absl::Status& status) {
  std::string code = ExplicitErrorCodeOf(status);
  return code.empty() ? std::string(DefaultErrorCode(status.code())) : code;
}

int RetryAfterOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  int seconds = 0;
  if (payload && absl::SimpleAtoi(std::string(*payload), &seconds) && seconds > 0) {
    return seconds;
  }
  return 0;
}

absl::string_view DefaultErrorCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return "ok";
    case absl::StatusCode::kCancelled: return "cancelled";
    case absl::StatusCode::kInvalidArgument: return "invalid_argument";
    case absl::StatusCode::kDeadlineExceeded: return "deadline_exceeded";
    case absl::StatusCode::kNotFound: return "not_found";
    case absl::StatusCode::kAlreadyExists: return "already_exists";
    case absl::StatusCode::kPermissionDenied: return "permission_denied";
    case absl::StatusCode::kResourceExhausted: return "resource_exhausted";
    case absl::StatusCode::kFailedPrecondition: return "failed_precondition";
    case absl::StatusCode::kAborted: return "aborted";
    case absl::StatusCode::kOutOfRange: return "out_of_range";
    case absl::StatusCode::kUnimplemented: return "not_implemented";
    case absl::StatusCode::kUnavailable: return "service_unavailable";
    case absl::StatusCode::kDataLoss: return "data_loss";
    case absl::StatusCode::kUnauthenticated: return "unauthenticated";
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    default: return "internal";
  }
}

int HttpStatusOf(const absl::Status& status) {
  const std::string code = ExplicitErrorCodeOf(status);
  if (code == "payment_declined" || code == "insufficient_funds") return 402;
  if (code == "idempotency_key_reused") return 422;
  if (code == "cart_empty") return 400;
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    case absl::StatusCode::kUnimplemented: return 501;
    default: return 500;
  }
}

}  // namespace mercato
