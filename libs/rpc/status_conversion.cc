#include "rpc/status_conversion.h"

#include "common/status.h"
#include "mercato/common/v1/common.pb.h"

namespace mercato {
namespace {

// ErrorInfo.metadata key of NotSentStatus(), and the absl payload it becomes.
constexpr char kNotSentKey[] = "mercato.dev/call_not_sent";

bool FirstErrorInfo(const grpc::Status& status, common::v1::ErrorInfo* info) {
  if (status.error_details().empty()) return false;
  common::v1::RpcStatus details;
  if (!details.ParseFromString(status.error_details())) return false;
  for (const auto& any : details.details()) {
    if (any.UnpackTo(info)) return true;
  }
  return false;
}

grpc::Status WithErrorInfo(grpc::StatusCode code, const std::string& message,
                           const common::v1::ErrorInfo& info) {
  common::v1::RpcStatus details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string error_code = ExplicitErrorCodeOf(status);
  const int retry_after = RetryAfterOf(status);
  std::string message(status.message());
  if (error_code.empty() && retry_after == 0) return grpc::Status(code, message);

  common::v1::ErrorInfo info;
  info.set_code(error_code);
  info.set_retry_after_seconds(retry_after);
  return WithErrorInfo(code, message, info);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (status.error_details().empty()) return out;
  common::v1::RpcStatus details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const auto& any : details.details()) {
    common::v1::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      out = WithRetryAfter(WithErrorCode(std::move(out), info.code()), info.retry_after_seconds());
      if (info.metadata().count(kNotSentKey)) out.SetPayload(kNotSentKey, absl::Cord("1"));
      break;
    }
  }
  return out;
}

grpc::Status NotSentStatus(grpc::StatusCode code, const std::string& message,
                           const std::string& error_code, int retry_after_seconds) {
  common::v1::ErrorInfo info;
  info.set_code(error_code);
  info.set_retry_after_seconds(retry_after_seconds);
  (*info.mutable_metadata())[kNotSentKey] = "1";
  return WithErrorInfo(code, message, info);
}

bool CallNotSent(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kNotSentKey).has_value();
}

bool HasErrorCode(const grpc::Status& status) {
  common::v1::ErrorInfo info;
  return FirstErrorInfo(status, &info) && !info.code().empty();
}

grpc::Status WithDefaultErrorCode(const grpc::Status& status) {
  if (status.ok() || HasErrorCode(status)) return status;
  common::v1::ErrorInfo info;
  info.set_code(std::string(DefaultErrorCode(static_cast<absl::StatusCode>(status.error_code()))));
  return WithErrorInfo(status.error_code(), status.error_message(), info);
}

}  // namespace mercato
