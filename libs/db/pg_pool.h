// A bounded pool of PostgreSQL connections (libpqxx 6.4) that speaks absl::Status.
//
//   auto pool = mercato::PgPool::Create({.conninfo = url, .size = 8});
//   absl::Status s = (*pool)->Transact([&](pqxx::work& tx) -> absl::Status {
//     tx.exec_params("UPDATE ...", id);
//     return absl::OkStatus();   // commit; an error status rolls back
//   });
//
// Connections are opened lazily up to `size`; a caller that finds none free waits up to
// `acquire_timeout` and then gets UNAVAILABLE. Opening a connection gives up after
// `connect_timeout` (libpq's connect_timeout, unless the conninfo sets its own): a database
// host that accepts TCP and never answers cannot hang start-up or a request. A connection
// that breaks is dropped and replaced on next use. Every libpqxx exception becomes a status
// (see pg_errors.h).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "db/pg_errors.h"

namespace mercato {

// `conninfo` (a postgresql:// URL or key=value pairs) with connect_timeout set to `timeout`,
// unless it already sets one.
std::string WithConnectTimeout(const std::string& conninfo, std::chrono::seconds timeout);

class PgPool {
 public:
  struct Options {
    std::string conninfo;
    int size = 8;
    std::chrono::milliseconds acquire_timeout{2000};
    // Limit for opening one connection (libpq rounds up to whole seconds, at least 2).
    std::chrono::seconds connect_timeout{5};
    // Server-side limit for one statement (0 = none).
    std::chrono::milliseconds statement_timeout{5000};
    // Called on every new connection, e.g. to prepare statements.
    std::function<void(pqxx::connection&)> on_connect;
  };

  // Opens one connection to check that the database is reachable.
  static absl::StatusOr<std::unique_ptr<PgPool>> Create(Options options);

  // A connection borrowed from the pool; returned on destruction.
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn);
    Lease(Lease&&) = default;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  absl::StatusOr<Lease> Acquire();

  // Runs `fn` in a transaction of type Txn (pqxx::work by default; e.g.
  // pqxx::transaction<pqxx::isolation_level::serializable>). Commits when fn returns OK,
  // rolls back otherwise. Serialization failures and deadlocks are retried up to 3 times.
  template <typename Txn = pqxx::work, typename Fn>
  absl::Status Transact(Fn&& fn) {
    absl::Status status;
    for (int attempt = 0; attempt < 4; ++attempt) {
      auto lease = Acquire();
      if (!lease.ok()) return lease.status();
      try {
        Txn tx(**lease);
        status = fn(tx);
        if (status.ok()) tx.commit();
      } catch (...) {
        status = StatusFromCurrentException();
      }
      if (!IsRetryableTransactionError(status)) return status;
    }
    return status;
  }

  // Connections open now (idle + leased).
  int open_connections() const;

 private:
  explicit PgPool(Options options);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect();
  // Opens one more connection (there is room for it), unlocking mu_ meanwhile.
  absl::StatusOr<Lease> OpenAnother() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Return(std::unique_ptr<pqxx::connection> conn);

  Options options_;
  mutable absl::Mutex mu_;
  // Signalled when a connection is returned or a slot frees up.
  absl::CondVar cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mercato
