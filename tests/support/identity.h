// Keys and tokens for tests. One ES256 key pair per name ("gateway", "cart", "checkout", ...,
// and "access-token" for the user service's access tokens), generated once per test process.
// Suite gives every service the key variables deploy/services.json lists, from these keys, so
// a test can call a backend directly over gRPC as one of its callers would:
//
//   auto ctx = testing::CallAs("gateway", "cart", testing::AccessToken(user_id));
//   stub->GetCart(ctx.get(), request, &cart);
#pragma once

#include <grpcpp/client_context.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/keys.h"

namespace mercato::testing {

inline constexpr char kAccessTokenKeyName[] = "access-token";

// The key pair called `name` (made on first use).
const auth::SigningKey& TestKey(const std::string& name);

// The value Suite gives a service for a key variable of deploy/services.json
// (MERCATO_SERVICE_KEY of `service`, MERCATO_<NAME>_PUBLIC_KEY, MERCATO_ACCESS_TOKEN_KEY,
// MERCATO_ACCESS_TOKEN_PUBLIC_KEY); nullopt for any other variable.
std::optional<std::string> KeyVariable(const std::string& service, const std::string& variable);

// `vars` plus every key variable `service` reads (deploy/services.json) that `vars` does not
// set, for tests of a service's configuration.
std::map<std::string, std::string> WithTestKeys(const std::string& service,
                                                std::map<std::string, std::string> vars);

// `claims` signed with ES256 by the key called `key_name`.
std::string SignedToken(const nlohmann::json& claims, const std::string& key_name);

// A service token `caller` would send to `callee`: lifetime 60 s from `issued_at`.
std::string ServiceToken(
    const std::string& caller, const std::string& callee,
    std::chrono::system_clock::time_point issued_at = std::chrono::system_clock::now());

// An access token as the user service issues them (15 minutes from `issued_at`).
std::string AccessToken(
    const std::string& user_id, const std::string& role = "customer",
    std::chrono::system_clock::time_point issued_at = std::chrono::system_clock::now());

// A context with a 10 s deadline carrying `caller`'s service token for `callee` (none when
// `caller` is empty; reused for 30 s, as services do) and, when given,
// "authorization: Bearer <access_token>".
std::unique_ptr<grpc::ClientContext> CallAs(const std::string& caller, const std::string& callee,
                                            const std::string& access_token = "");

}  // namespace mercato::testing
