#include "db/migrations.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "common/logging.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mercato {
namespace {

// Any constant; identifies "mercato migrations" among advisory locks.
constexpr int64_t kMigrationLockId = 0x6d65726361746f;

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

struct Migration {
  int version;
  std::string name;
  std::string_view sql;
  std::string checksum;
};

absl::StatusOr<std::vector<Migration>> Parse(const std::vector<EmbeddedFile>& files) {
  std::map<int, Migration> by_version;
  for (const EmbeddedFile& f : files) {
    const std::string name(f.name);
    const auto underscore = name.find('_');
    int version = 0;
    if (underscore == std::string::npos ||
        !absl::SimpleAtoi(absl::string_view(name).substr(0, underscore), &version) || version <= 0 ||
        name.size() < 5 || name.substr(name.size() - 4) != ".sql") {
      return absl::InvalidArgumentError(
          absl::StrCat("migration file name must be NNN_description.sql: ", name));
    }
    if (by_version.count(version)) {
      return absl::InvalidArgumentError(absl::StrCat("two migrations with version ", version));
    }
    by_version[version] = {version, name, f.content, Sha256Hex(f.content)};
  }
  std::vector<Migration> out;
  for (auto& [v, m] : by_version) out.push_back(std::move(m));
  return out;
}

}  // namespace

absl::StatusOr<int> ApplyMigrations(PgPool& pool, const std::vector<EmbeddedFile>& files) {
  auto migrations = Parse(files);
  if (!migrations.ok()) return migrations.status();
  int applied = 0;
  absl::Status status = pool.Transact([&](pqxx::work& tx) -> absl::Status {
    applied = 0;
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockId);
    tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    std::map<int, std::string> done;
    for (const auto& row : tx.exec("SELECT version, checksum FROM schema_migrations")) {
      done[row[0].as<int>()] = row[1].as<std::string>();
    }
    for (const Migration& m : *migrations) {
      auto it = done.find(m.version);
      if (it != done.end()) {
        if (it->second != m.checksum) {
          return absl::FailedPreconditionError(absl::StrCat(
              "migration ", m.name, " was changed after it was applied; add a new migration"));
        }
        continue;
      }
      tx.exec(std::string(m.sql));
      tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     m.version, m.name, m.checksum);
      spdlog::info("applied migration {}", m.name);
      ++applied;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return applied;
}

absl::StatusOr<std::unique_ptr<PgPool>> OpenDatabase(PgPool::Options options,
                                                     const std::vector<EmbeddedFile>& migrations) {
  auto pool = PgPool::Create(std::move(options));
  if (!pool.ok()) return pool.status();
  auto applied = ApplyMigrations(**pool, migrations);
  if (!applied.ok()) {
    return absl::Status(applied.status().code(),
                        absl::StrCat("migrations: ", applied.status().message()));
  }
  return pool;
}

}  // namespace mercato
