#include "support/postgres.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "support/process.h"

namespace mercato::testing {
namespace {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

absl::StatusOr<std::string> FindPostgresBinDir() {
  if (const char* dir = std::getenv("MERCATO_PG_BINDIR"); dir && *dir) return std::string(dir);
  namespace fs = std::filesystem;
  std::string best;
  int best_version = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(entry.path() / "bin/initdb")) {
      best_version = version;
      best = (entry.path() / "bin").string();
    }
  }
  if (best.empty()) {
    return absl::NotFoundError(
        "PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/setup)");
  }
  return best;
}

std::string PostgresServer::AsServerUser(const std::string& command) const {
  return as_postgres_user_ ? absl::StrCat("runuser -u postgres -- sh -c ", ShellQuote(command))
                           : command;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  auto bindir = FindPostgresBinDir();
  if (!bindir.ok()) return bindir.status();
  std::unique_ptr<PostgresServer> pg(new PostgresServer());
  pg->bindir_ = *bindir;
  pg->as_postgres_user_ = geteuid() == 0;
  char tmpl[] = "/tmp/mercato-test-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  pg->dir_ = tmpl;
  std::string out;
  if (pg->as_postgres_user_) {
    if (RunCommand(absl::StrCat("chown postgres ", pg->dir_), &out) != 0) {
      return absl::InternalError(absl::StrCat("chown postgres failed: ", out));
    }
  }
  if (RunCommand(pg->AsServerUser(absl::StrCat(pg->bindir_, "/initdb -D ", pg->dir_,
                                               "/data -A trust -U mercato -E UTF8 "
                                               "--locale=C.UTF-8 --no-sync")),
                 &out) != 0) {
    return absl::InternalError(absl::StrCat("initdb failed: ", out));
  }
  pg->port_ = FreePort();
  if (absl::Status s = pg->Restart(); !s.ok()) return s;
  return pg;
}

PostgresServer* PostgresServer::Shared() {
  static PostgresServer* shared = [] {
    auto pg = Start();
    if (!pg.ok()) {
      std::cerr << "cannot start PostgreSQL for tests: " << pg.status() << std::endl;
      std::abort();
    }
    PostgresServer* raw = pg->release();
    std::atexit([] { delete shared; });
    return raw;
  }();
  return shared;
}

absl::Status PostgresServer::Stop() {
  if (!running_) return absl::OkStatus();
  std::string out;
  RunCommand(AsServerUser(absl::StrCat(bindir_, "/pg_ctl -D ", dir_, "/data -m immediate -w stop")),
             &out);
  running_ = false;
  return absl::OkStatus();
}

absl::Status PostgresServer::Restart() {
  Stop().IgnoreError();
  std::string out;
  // fsync off: the tests' data lives as long as the test; crash safety of PostgreSQL itself
  // is not what they test.
  const std::string options = absl::StrCat("-p ", port_, " -k ", dir_,
                                           " -c listen_addresses=127.0.0.1 -c fsync=off "
                                           "-c synchronous_commit=off -c full_page_writes=off "
                                           "-c max_connections=300");
  if (RunCommand(AsServerUser(absl::StrCat(bindir_, "/pg_ctl -D ", dir_, "/data -o ",
                                           ShellQuote(options), " -l ", dir_,
                                           "/server.log -w start")),
                 &out) != 0) {
    return absl::InternalError(absl::StrCat("pg_ctl start failed: ", out));
  }
  running_ = true;
  return absl::OkStatus();
}

PostgresServer::~PostgresServer() {
  Stop().IgnoreError();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresServer::Url(const std::string& database) const {
  return absl::StrCat("postgresql://mercato@127.0.0.1:", port_, "/", database);
}

std::string PostgresServer::Psql(const std::string& database, const std::string& sql) const {
  std::string out;
  const int rc = RunCommand(absl::StrCat(bindir_, "/psql -X -q -t -A -v ON_ERROR_STOP=1 -d ",
                                         ShellQuote(Url(database)), " -c ", ShellQuote(sql)),
                            &out);
  if (rc != 0) {
    std::cerr << "psql failed (" << sql << "): " << out << std::endl;
    std::abort();
  }
  while (!out.empty() && (out.back() == '\n')) out.pop_back();
  return out;
}

std::string PostgresServer::CreateDatabase(const std::string& name) {
  Psql("postgres", absl::StrCat("DROP DATABASE IF EXISTS \"", name, "\" WITH (FORCE)"));
  Psql("postgres", absl::StrCat("CREATE DATABASE \"", name, "\""));
  return Url(name);
}

}  // namespace mercato::testing
