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

}  // namespace mercato
