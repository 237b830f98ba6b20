// The two status mappings: absl::Status -> HTTP, and absl::Status <-> grpc::Status.
#include <gtest/gtest.h>

#include "common/status.h"
#include "rpc/status_conversion.h"

namespace mercato {
namespace {

struct HttpCase {
  absl::StatusCode code;
  int http;
  const char* error_code;
};

class HttpMappingTest : public ::testing::TestWithParam<HttpCase> {};

TEST_P(HttpMappingTest, MapsCodeToHttpStatusAndDefaultErrorCode) {
  const HttpCase& c = GetParam();
  absl::Status status(c.code, "m");
  EXPECT_EQ(HttpStatusOf(status), c.http);
  EXPECT_EQ(ErrorCodeOf(status), c.error_code);
}

INSTANTIATE_TEST_SUITE_P(
    AllCodes, HttpMappingTest,
    ::testing::Values(HttpCase{absl::StatusCode::kNotFound, 404, "not_found"},
                      HttpCase{absl::StatusCode::kInvalidArgument, 400, "invalid_argument"},
                      HttpCase{absl::StatusCode::kOutOfRange, 400, "out_of_range"},
                      HttpCase{absl::StatusCode::kFailedPrecondition, 409, "failed_precondition"},
                      HttpCase{absl::StatusCode::kAlreadyExists, 409, "already_exists"},
                      HttpCase{absl::StatusCode::kAborted, 409, "aborted"},
                      HttpCase{absl::StatusCode::kUnauthenticated, 401, "unauthenticated"},
                      HttpCase{absl::StatusCode::kPermissionDenied, 403, "permission_denied"},
                      HttpCase{absl::StatusCode::kResourceExhausted, 429, "resource_exhausted"},
                      HttpCase{absl::StatusCode::kUnavailable, 503, "service_unavailable"},
                      HttpCase{absl::StatusCode::kDeadlineExceeded, 504, "deadline_exceeded"},
                      HttpCase{absl::StatusCode::kUnimplemented, 501, "not_implemented"},
                      HttpCase{absl::StatusCode::kInternal, 500, "internal"},
                      HttpCase{absl::StatusCode::kUnknown, 500, "internal"},
                      HttpCase{absl::StatusCode::kDataLoss, 500, "data_loss"},
                      HttpCase{absl::StatusCode::kCancelled, 500, "cancelled"}));

TEST(HttpMappingTest, ErrorCodesWithTheirOwnHttpStatus) {
  EXPECT_EQ(HttpStatusOf(ErrorWithCode(absl::StatusCode::kFailedPrecondition, "payment_declined",
                                       "declined")),
            402);
  EXPECT_EQ(HttpStatusOf(ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                                       "insufficient_funds", "no")),
            402);
  EXPECT_EQ(HttpStatusOf(ErrorWithCode(absl::StatusCode::kFailedPrecondition,
                                       "idempotency_key_reused", "no")),
            422);
  EXPECT_EQ(HttpStatusOf(ErrorWithCode(absl::StatusCode::kFailedPrecondition, "cart_empty",
                                       "nothing to buy")),
            400);
  EXPECT_EQ(HttpStatusOf(ErrorWithCode(absl::StatusCode::kFailedPrecondition, "out_of_stock",
                                       "none left")),
            409);
}

TEST(StatusCodesTest, ExplicitCodeAndRetryAfterAreKept) {
  absl::Status s = ErrorWithCode(absl::StatusCode::kResourceExhausted, "too_many_attempts",
                                 "slow down", 30);
  EXPECT_EQ(ErrorCodeOf(s), "too_many_attempts");
  EXPECT_EQ(ExplicitErrorCodeOf(s), "too_many_attempts");
  EXPECT_EQ(RetryAfterOf(s), 30);
  EXPECT_EQ(s.message(), "slow down");
}

TEST(StatusCodesTest, OkStatusCarriesNothing) {
  EXPECT_TRUE(WithErrorCode(absl::OkStatus(), "x").ok());
  EXPECT_EQ(ExplicitErrorCodeOf(absl::OkStatus()), "");
  EXPECT_EQ(RetryAfterOf(absl::NotFoundError("x")), 0);
}

TEST(GrpcMappingTest, PlainStatusRoundTrips) {
  grpc::Status g = ToGrpcStatus(absl::NotFoundError("no product"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "no product");
  EXPECT_TRUE(g.error_details().empty());
  absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(back.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(back.message(), "no product");
  EXPECT_EQ(ExplicitErrorCodeOf(back), "");
}

TEST(GrpcMappingTest, ErrorCodeAndRetryAfterTravelInDetails) {
  absl::Status original =
      ErrorWithCode(absl::StatusCode::kFailedPrecondition, "out_of_stock", "sold out", 5);
  grpc::Status g = ToGrpcStatus(original);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_FALSE(g.error_details().empty());
  absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(back.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(back.message(), "sold out");
  EXPECT_EQ(ErrorCodeOf(back), "out_of_stock");
  EXPECT_EQ(RetryAfterOf(back), 5);
}

TEST(GrpcMappingTest, EveryCodeMapsOneToOne) {
  for (int code = 0; code <= 16; ++code) {
    const auto c = static_cast<absl::StatusCode>(code);
    grpc::Status g = ToGrpcStatus(absl::Status(c, code == 0 ? "" : "m"));
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    EXPECT_EQ(FromGrpcStatus(g).code(), c);
  }
}

TEST(GrpcMappingTest, GarbageDetailsAreIgnored) {
  grpc::Status g(grpc::StatusCode::INTERNAL, "boom", "\xff\x01not a proto");
  absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(back.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ExplicitErrorCodeOf(back), "");
}

}  // namespace
}  // namespace mercato
