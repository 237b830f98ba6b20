// The one mapping between absl::Status (inside the code) and grpc::Status (on the wire).
// Codes map one to one (they share numbering); a Mercato error code and retry-after hint
// travel as a mercato.common.v1.ErrorInfo inside the standard google.rpc.Status-shaped
// error details.
//
//   return ToGrpcStatus(store_->Get(id));                  // in a handler
//   absl::Status s = FromGrpcStatus(stub->Get(&ctx, ...));  // in a client
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace mercato {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// The status of a call refused by the client itself before anything was sent (circuit
// breaker open, bulkhead full): `error_code` and `retry_after_seconds` as usual, plus a mark
// that FromGrpcStatus turns into CallNotSent(). The mark is not relayed: a service that
// returns such a status to its own caller returns an ordinary one.
grpc::Status NotSentStatus(grpc::StatusCode code, const std::string& message,
                           const std::string& error_code, int retry_after_seconds);
// True for the status of a call that certainly never reached the backend (so no side effect
// can have happened there).
bool CallNotSent(const absl::Status& status);

// Whether a received status carries a Mercato error code (an answer the backend chose), as
// opposed to a bare status from the transport or from a failure the backend did not handle.
bool HasErrorCode(const grpc::Status& status);
// `status` with its code's default error code attached when it has none.
grpc::Status WithDefaultErrorCode(const grpc::Status& status);

}  // namespace mercato
