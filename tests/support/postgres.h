// Test support: a private PostgreSQL server for one test binary, on a free port, in a
// temporary directory removed afterwards. Works as root (the server runs as the `postgres`
// user, since PostgreSQL refuses root) and as a normal user.
//
//   static PostgresServer* pg = PostgresServer::Shared();   // one per test binary
//   std::string url = pg->CreateDatabase("catalog_test");    // fresh, empty database
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace mercato::testing {

class PostgresServer {
 public:
  // Starts a server (initdb + pg_ctl start). Fails with a message naming what is missing.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();
  // A server shared by all tests of this process, started on first use and stopped at exit;
  // aborts the test binary with a clear message if it cannot start.
  static PostgresServer* Shared();
  ~PostgresServer();

  int port() const { return port_; }
  // Creates a new database (dropping any with that name) and returns its URL.
  std::string CreateDatabase(const std::string& name);
  // postgresql://mercato@127.0.0.1:<port>/<database>
  std::string Url(const std::string& database) const;
  // Runs SQL through psql against `database` and returns its output (tuples only,
  // unaligned, '|' separated). Aborts the test on failure.
  std::string Psql(const std::string& database, const std::string& sql) const;

  // Stops and restarts the server (data kept), e.g. to test reconnection.
  absl::Status Stop();
  absl::Status Restart();

 private:
  PostgresServer() = default;
  std::string AsServerUser(const std::string& command) const;

  std::string dir_;
  std::string bindir_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  bool running_ = false;
};

// The directory with initdb / pg_ctl (the newest /usr/lib/postgresql/*/bin, or
// MERCATO_PG_BINDIR).
absl::StatusOr<std::string> FindPostgresBinDir();

}  // namespace mercato::testing
