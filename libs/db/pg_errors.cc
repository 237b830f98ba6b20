#include "db/pg_errors.h"

#include <spdlog/spdlog.h>

#include "common/logging.h"

#include <pqxx/except>

#include "absl/strings/string_view.h"

namespace mercato {
namespace {

constexpr absl::string_view kRetryablePayload = "mercato.dev/retryable_transaction";

absl::Status Retryable(absl::string_view message) {
  absl::Status status = absl::AbortedError(message);
  status.SetPayload(kRetryablePayload, absl::Cord("1"));
  return status;
}

}  // namespace

bool IsRetryableTransactionError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         status.GetPayload(kRetryablePayload).has_value();
}

absl::Status StatusFromCurrentException() {
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    spdlog::error("database commit outcome unknown: {}", e.what());
    return absl::UnavailableError("database commit outcome unknown");
  } catch (const pqxx::broken_connection& e) {
    spdlog::warn("database connection lost: {}", e.what());
    return absl::UnavailableError("database unavailable");
  } catch (const pqxx::unique_violation& e) {
    return absl::AlreadyExistsError("already exists");
  } catch (const pqxx::check_violation& e) {
    return absl::FailedPreconditionError("constraint violated");
  } catch (const pqxx::foreign_key_violation& e) {
    return absl::FailedPreconditionError("referenced row missing");
  } catch (const pqxx::not_null_violation& e) {
    return absl::FailedPreconditionError("required value missing");
  } catch (const pqxx::serialization_failure& e) {
    return Retryable("transaction conflict");
  } catch (const pqxx::deadlock_detected& e) {
    return Retryable("transaction deadlock");
  } catch (const pqxx::data_exception& e) {
    return absl::InvalidArgumentError("invalid value");
  } catch (const pqxx::sql_error& e) {
    // A statement cancelled by statement_timeout (57014) or an admin shutdown (57P01..3).
    const std::string state = e.sqlstate();
    if (state == "57014") return absl::DeadlineExceededError("database statement timed out");
    if (state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0) {
      spdlog::warn("database unavailable: sqlstate {}", state);
      return absl::UnavailableError("database unavailable");
    }
    spdlog::error("database error: sqlstate {}: {}", state, e.what());
    return absl::InternalError("database error");
  } catch (const std::exception& e) {
    spdlog::error("database error: {}", e.what());
    return absl::InternalError("database error");
  }
}

}  // namespace mercato
