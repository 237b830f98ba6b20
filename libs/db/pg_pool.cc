#include "db/pg_pool.h"

#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace mercato {

std::string WithConnectTimeout(const std::string& conninfo, std::chrono::seconds timeout) {
  if (conninfo.find("connect_timeout=") != std::string::npos) return conninfo;
  const std::string setting = absl::StrCat("connect_timeout=", timeout.count());
  const bool url =
      absl::StartsWith(conninfo, "postgresql://") || absl::StartsWith(conninfo, "postgres://");
  if (!url) return conninfo.empty() ? setting : absl::StrCat(conninfo, " ", setting);
  return absl::StrCat(conninfo, conninfo.find('?') == std::string::npos ? "?" : "&", setting);
}

PgPool::PgPool(Options options) : options_(std::move(options)) {
  options_.conninfo = WithConnectTimeout(options_.conninfo, options_.connect_timeout);
}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Create(Options options) {
  if (options.size < 1) return absl::InvalidArgumentError("pool size must be at least 1");
  std::unique_ptr<PgPool> pool(new PgPool(std::move(options)));
  auto conn = pool->Connect();
  if (!conn.ok()) return conn.status();
  {
    absl::MutexLock lock(&pool->mu_);
    pool->open_ = 1;
    pool->idle_.push_back(std::move(*conn));
  }
  return pool;
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::Connect() {
  try {
    auto conn = std::make_unique<pqxx::connection>(options_.conninfo);
    if (options_.statement_timeout.count() > 0) {
      pqxx::nontransaction tx(*conn);
      tx.exec(absl::StrCat("SET statement_timeout = ", options_.statement_timeout.count()));
    }
    if (options_.on_connect) options_.on_connect(*conn);
    return conn;
  } catch (...) {
    absl::Status status = StatusFromCurrentException();
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", status.message()));
  }
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  const absl::Time deadline = absl::Now() + absl::FromChrono(options_.acquire_timeout);
  absl::MutexLock lock(&mu_);
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    if (open_ < options_.size) return OpenAnother();
    if (cv_.WaitWithDeadline(&mu_, deadline) && idle_.empty() && open_ >= options_.size) {
      return absl::UnavailableError("database connection pool exhausted");
    }
  }
}

absl::StatusOr<PgPool::Lease> PgPool::OpenAnother() {
  ++open_;
  mu_.Unlock();  // connecting takes a round trip or more: not under the lock
  auto conn = Connect();
  mu_.Lock();
  if (!conn.ok()) {
    --open_;
    cv_.Signal();
    return conn.status();
  }
  return Lease(this, std::move(*conn));
}

void PgPool::Return(std::unique_ptr<pqxx::connection> conn) {
  absl::MutexLock lock(&mu_);
  if (conn && conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // broken: dropped, a new one is opened on demand
  }
  cv_.Signal();
}

int PgPool::open_connections() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

PgPool::Lease::Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

PgPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Return(std::move(conn_));
}

}  // namespace mercato
