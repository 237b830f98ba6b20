#include "rpc/status_conversion.h"

#include "common/status.h"
#include "mercato/common/v1/common.pb.h"

namespace mercato {

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
  common::v1::RpcStatus details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
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
      out = WithRetryAfter(WithErrorCode(std::move(out), info.code()),
                           info.retry_after_seconds());
      break;
    }
  }
  return out;
}

}  // namespace mercato
