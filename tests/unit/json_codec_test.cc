#include "gateway/json_codec.h"

#include <gtest/gtest.h>

#include "common/call_context.h"
#include "common/status.h"

namespace mercato::gateway {
namespace {

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(JsonCodecTest, ProductHasTheDocumentedShape) {
  catalog::v1::Product p;
  p.set_id("id-1");
  p.set_name("Knife");
  p.set_description("Sharp");
  p.mutable_price()->set_amount(1999);
  p.mutable_price()->set_currency("USD");
  p.add_categories("kitchen");
  p.set_image_url("/images/x.svg");
  p.set_stock(7);
  EXPECT_EQ(Json::parse(ProductText(p).str()),
            Json::parse(R"({"id":"id-1","name":"Knife","description":"Sharp",
      "price":{"amount":1999,"currency":"USD"},"categories":["kitchen"],
      "image_url":"/images/x.svg","stock":7})"));
}

TEST(JsonCodecTest, ErrorBodyCarriesCodeMessageAndRequestId) {
  ScopedCallContext scope(CallContext{.request_id = "req-9"});
  HttpResponse r = ErrorResponse(
      ErrorWithCode(absl::StatusCode::kFailedPrecondition, "out_of_stock", "sold out"));
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Json::parse(r.body),
            Json::parse(R"({"error":{"code":"out_of_stock","message":"sold out",
                "request_id":"req-9"}})"));
}

TEST(JsonCodecTest, InternalErrorsHideTheirMessage) {
  HttpResponse r = ErrorResponse(absl::InternalError("pqxx: relation \"x\" does not exist"));
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(Json::parse(r.body)["error"]["message"], "internal error");
  EXPECT_EQ(Json::parse(r.body)["error"]["code"], "internal");
}

TEST(JsonCodecTest, RetryAfterHeaderFromStatusOrFor503) {
  HttpResponse limited = ErrorResponse(
      ErrorWithCode(absl::StatusCode::kResourceExhausted, "too_many_attempts", "wait", 42));
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(HeaderOf(limited, "Retry-After"), "42");
  HttpResponse down = ErrorResponse(absl::UnavailableError("catalog unavailable"));
  EXPECT_EQ(down.status, 503u);
  EXPECT_EQ(HeaderOf(down, "Retry-After"), "1");
  EXPECT_EQ(Json::parse(down.body)["error"]["message"], "catalog unavailable");
}

TEST(JsonCodecTest, ParseJsonObjectRejectsMalformedAndNonObjects) {
  HttpRequest r;
  for (const char* body : {"", "{", "{\"a\":}", "nul", "[1,2]", "\"text\"", "42"}) {
    r.body = body;
    auto parsed = ParseJsonObject(r);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorCodeOf(parsed.status()), "invalid_json");
  }
  r.body = R"({"email":"a@b.c"})";
  auto ok = ParseJsonObject(r);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["email"], "a@b.c");
}

}  // namespace
}  // namespace mercato::gateway
