#include "rpc/call_auth.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <iterator>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status.h"

namespace mercato {
namespace {

std::atomic<std::shared_ptr<const CallAuthenticator>> installed;

// The value of `key` when it occurs exactly once; nullopt when absent or repeated.
std::optional<absl::string_view> Single(const GrpcMetadata& metadata, const char* key) {
  auto [first, last] = metadata.equal_range(key);
  if (first == last || std::next(first) != last) return std::nullopt;
  return absl::string_view(first->second.data(), first->second.size());
}

// The token of "Bearer <token>", or nullopt.
std::optional<absl::string_view> BearerToken(absl::string_view value) {
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(value, kScheme)) {
    return std::nullopt;
  }
  return absl::StripAsciiWhitespace(value.substr(kScheme.size()));
}

}  // namespace

CallAuthenticator::CallAuthenticator(auth::ServiceTokenVerifier services,
                                     std::optional<auth::AccessTokenVerifier> users)
    : services_(std::move(services)), users_(std::move(users)) {}

absl::Status CallAuthenticator::Authenticate(const GrpcMetadata& metadata,
                                             std::chrono::system_clock::time_point now,
                                             CallContext& call) const {
  auto token = Single(metadata, kServiceTokenKey);
  if (!token) {
    return ErrorWithCode(absl::StatusCode::kUnauthenticated, "service_token_required",
                         "calls to " + services_.service() + " need a service token");
  }
  auto caller = services_.Verify(*token, now);
  if (!caller.ok()) return caller.status();
  call.caller = *std::move(caller);
  AuthenticateUser(metadata, now, call);
  if (auto named = Single(metadata, kOnBehalfOfKey);
      named && IsUuid(std::string_view(named->data(), named->size()))) {
    call.on_behalf_of = std::string(*named);
  }
  return absl::OkStatus();
}

void CallAuthenticator::AuthenticateUser(const GrpcMetadata& metadata,
                                         std::chrono::system_clock::time_point now,
                                         CallContext& call) const {
  if (!users_) return;
  auto header = Single(metadata, kAuthorizationKey);
  if (!header) return;
  auto token = BearerToken(*header);
  if (!token) return;
  auto verified = users_->Verify(*token, now);
  if (!verified.ok()) {
    spdlog::debug("access token from {} refused: {}", call.caller, verified.status().message());
    return;
  }
  call.user_id = std::move(verified->user_id);
  call.user_role = std::move(verified->role);
}

void InstallCallAuthenticator(std::shared_ptr<const CallAuthenticator> authenticator) {
  installed.store(std::move(authenticator));
}

std::shared_ptr<const CallAuthenticator> InstalledCallAuthenticator() { return installed.load(); }

}  // namespace mercato
