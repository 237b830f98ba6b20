// Unit tests of the signed guest cart cookie (gateway/cart_cookie.h) and of the gateway
// refusing to start without its key.
#include <gtest/gtest.h>

#include "common/config.h"
#include "gateway/cart_cookie.h"
#include "gateway/config.h"
#include "support/identity.h"

namespace mercato::gateway {
namespace {

constexpr char kKey[] = "unit-test-cart-cookie-key-0123456789abcdef";

TEST(CartCookieSigningTest, SignedIdVerifiesUnderItsKeyOnly) {
  const std::string id = NewGuestCartId();
  ASSERT_TRUE(IsGuestCartId(id));
  const std::string value = SignGuestCartId(kKey, id);
  EXPECT_EQ(value.size(), 87u);
  EXPECT_EQ(value.substr(0, 44), id + ".");
  EXPECT_EQ(VerifyGuestCartCookie(kKey, value), id);
  EXPECT_EQ(VerifyGuestCartCookie("another-key-another-key-another-key", value), std::nullopt);
  EXPECT_NE(NewGuestCartId(), id);
}

// HMAC-SHA256 over "mercato_cart.v1:" + id (RFC 2104; the same value as
// `printf 'mercato_cart.v1:%s' ID | openssl dgst -sha256 -hmac KEY -binary | basenc --base64url`
// without the padding).
TEST(CartCookieSigningTest, TagIsHmacSha256OfTheLabelledId) {
  const std::string id(43, 'A');
  EXPECT_EQ(SignGuestCartId("key", id), id + ".YLdwAb8vp7lqV55b422h-5lrwK83xDQa245iJvZawvM");
}

TEST(CartCookieSigningTest, AnythingElseIsRefused) {
  const std::string id = NewGuestCartId();
  const std::string good = SignGuestCartId(kKey, id);
  std::vector<std::string> bad = {"",
                                  id,
                                  id + ".",
                                  good + "=",
                                  good.substr(0, 86),
                                  "." + good,
                                  std::string(87, 'A'),
                                  good.substr(0, 43) + "," + good.substr(44)};
  for (size_t i : {0u, 10u, 42u, 44u, 60u, 86u}) {
    std::string flipped = good;
    flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
    bad.push_back(flipped);
  }
  std::string star_id = good;
  star_id[5] = '*';  // not a cart id character
  bad.push_back(star_id);
  for (const auto& value : bad)
    EXPECT_EQ(VerifyGuestCartCookie(kKey, value), std::nullopt) << value;
}

EnvReader EnvOf(std::map<std::string, std::string> values) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(values));
  return EnvReader([shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  });
}

TEST(CartCookieSigningTest, GatewayRefusesToStartWithoutAKeyOfAtLeast32Characters) {
  EnvReader no_key = EnvOf(testing::WithTestKeys("gateway", {}));
  auto missing = LoadGatewayConfig(no_key);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("MERCATO_CART_COOKIE_KEY is required"),
            absl::string_view::npos)
      << missing.status();
  EnvReader short_env =
      EnvOf(testing::WithTestKeys("gateway", {{"MERCATO_CART_COOKIE_KEY", "short"}}));
  auto too_short = LoadGatewayConfig(short_env);
  ASSERT_FALSE(too_short.ok());
  EXPECT_NE(too_short.status().message().find("MERCATO_CART_COOKIE_KEY must be at least 32"),
            absl::string_view::npos);
  EnvReader good = EnvOf(testing::WithTestKeys("gateway", {{"MERCATO_CART_COOKIE_KEY", kKey}}));
  auto config = LoadGatewayConfig(good);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cart_cookie_key, kKey);
}

}  // namespace
}  // namespace mercato::gateway
