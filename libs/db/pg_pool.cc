#include "db/pg_pool.h"

#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
    std::lock_guard<std::mutex> lock(pool->mu_);
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
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL: ", status.message()));
  }
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    if (open_ < options_.size) {
      ++open_;
      lock.unlock();
      auto conn = Connect();
      if (!conn.ok()) {
        std::lock_guard<std::mutex> relock(mu_);
        --open_;
        cv_.notify_one();
        return conn.status();
      }
      return Lease(this, std::move(*conn));
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      return absl::UnavailableError("database connection pool exhausted");
    }
  }
}

void PgPool::Return(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn && conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // broken: dropped, a new one is opened on demand
  }
  cv_.notify_one();
}

int PgPool::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

PgPool::Lease::Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

PgPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Return(std::move(conn_));
}

}  // namespace mercato
