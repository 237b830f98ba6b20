// The user service: accounts, credentials, sessions and address books over gRPC.
#include <spdlog/spdlog.h>

#include "db/migrations.h"
#include "rpc/service_host.h"
#include "user/access_token.h"
#include "user/config.h"
#include "user/postgres_user_store.h"
#include "user/user_service.h"

namespace mercato::user {
const std::vector<EmbeddedFile>& Migrations();
}

int main() {
  using namespace mercato;
  auto config = LoadConfigOrExit("user", user::LoadUserConfig);
  ServiceHost host("user", config.server, config.bind_address, config.identity);
  auto pool =
      host.Require(OpenDatabase({.conninfo = config.database_url, .size = config.db_pool_size},
                                user::Migrations()),
                   "database");
  user::PostgresUserStore store(*pool);
  user::AccessTokenIssuer issuer(*config.access_token_key, config.access_token_ttl);
  user::UserService service(store, issuer, host.executor(),
                            {.refresh_token_ttl = config.refresh_token_ttl});
  if (!config.admin_email.empty()) {
    absl::Status admin = service.EnsureAdmin(config.admin_email, config.admin_password);
    if (admin.code() == absl::StatusCode::kInvalidArgument) ExitWithConfigError("user", admin);
    host.Require(admin, "setting up the admin account");
  }
  if (absl::Status s = service.PruneExpired(); !s.ok()) spdlog::warn("pruning failed: {}", s);
  return host.Serve({&service});
}
