#include "support/suite.h"

#include <signal.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "support/http_client.h"
#include "support/identity.h"
#include "support/kafka.h"
#include "support/postgres.h"
#include "support/redis.h"

namespace mercato::testing {

absl::StatusOr<std::unique_ptr<Suite>> Suite::Start(SuiteOptions options) {
  std::ifstream in(SourceDir() + "/deploy/services.json");
  nlohmann::json spec = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) return absl::InternalError("deploy/services.json does not parse");
  const auto& services = spec["services"];

  std::unique_ptr<Suite> suite(new Suite());
  suite->options_ = options;
  // Depth-first over "calls", so that callees start first.
  std::set<std::string> seen;
  std::function<absl::Status(const std::string&)> visit = [&](const std::string& name) {
    if (seen.count(name)) return absl::OkStatus();
    if (!services.contains(name)) {
      return absl::NotFoundError(absl::StrCat("no service '", name, "' in services.json"));
    }
    seen.insert(name);
    if (options.with_dependencies) {
      for (const auto& callee : services[name]["calls"]) {
        if (auto s = visit(callee.get<std::string>()); !s.ok()) return s;
      }
    }
    suite->order_.push_back(name);
    return absl::OkStatus();
  };
  for (const auto& name : options.services) {
    if (auto s = visit(name); !s.ok()) return s;
  }

  for (const auto& name : suite->order_) {
    Instance& inst = suite->instances_[name];
    inst.name = name;
    inst.binary = name;
    inst.kind = services[name]["kind"].get<std::string>();
    inst.port = FreePort();
    inst.admin_port = FreePort();
  }
  // Without options.kafka the services that need a broker get an address where none
  // listens: they start and serve, their events wait in their outboxes.
  const std::string brokers =
      options.kafka ? KafkaServer::Shared()->brokers() : absl::StrCat("127.0.0.1:", FreePort());
  if (options.kafka) suite->kafka_brokers_ = brokers;
  for (const auto& name : suite->order_) {
    const auto& svc = services[name];
    Instance& inst = suite->instances_[name];
    inst.env["MERCATO_BIND_ADDRESS"] = "127.0.0.1";
    inst.env["MERCATO_ADMIN_PORT"] = absl::StrCat(inst.admin_port);
    inst.env["MERCATO_LOG_LEVEL"] = "info";
    if (inst.kind == "http") {
      inst.env["MERCATO_HTTP_PORT"] = absl::StrCat(inst.port);
      inst.env["MERCATO_WEB_ROOT"] = SourceDir() + "/services/gateway/web";
      // The response cache off unless a test turns it on (catalog_cache_test.cc): tests write
      // to the catalog over gRPC, as another gateway replica would, and read the result back
      // through this gateway at once, which the cache promises only within its freshness
      // bound (gateway/response_cache.h).
      inst.env["MERCATO_GATEWAY_CACHE_MAX_BYTES"] = "0";
    } else {
      inst.env["MERCATO_GRPC_PORT"] = absl::StrCat(inst.port);
    }
    if (svc["database"].is_string()) {
      inst.database_url = PostgresServer::Shared()->CreateDatabase(
          absl::StrCat(options.database_prefix, "_", svc["database"].get<std::string>()));
      inst.env["MERCATO_DATABASE_URL"] = inst.database_url;
    }
    if (svc.value("redis", false)) inst.env["MERCATO_REDIS_URL"] = RedisServer::Shared()->Url();
    if (svc.value("kafka", false)) inst.env["MERCATO_KAFKA_BROKERS"] = brokers;
    for (const auto& callee : svc["calls"]) {
      const std::string c = callee.get<std::string>();
      inst.env[absl::StrCat("MERCATO_", absl::AsciiStrToUpper(c), "_ADDR")] =
          seen.count(c) ? suite->address(c) : absl::StrCat("127.0.0.1:", FreePort());
    }
    // Every key variable the service reads, from the test keys (support/identity.h), so that
    // tests can mint the tokens its callers would; options.env may override them.
    for (const auto& [variable, description] : svc["env"].items()) {
      if (auto key = KeyVariable(name, variable)) inst.env[variable] = *std::move(key);
    }
    if (svc["env"].contains("MERCATO_PAYMENT_FINGERPRINT_KEY")) {
      inst.env["MERCATO_PAYMENT_FINGERPRINT_KEY"] = "mercato-test-fingerprint-key-0123456789abcdef";
    }
    // The notification worker's SMTP server: by default an address where none listens (its
    // emails stay queued, like events without a broker); a test with an SMTP sink passes
    // MERCATO_SMTP_URL in options.env.
    if (svc["env"].contains("MERCATO_SMTP_URL")) {
      inst.env["MERCATO_SMTP_URL"] = absl::StrCat("smtp://127.0.0.1:", FreePort());
    }
    // The gateway's guest cart cookie key (tests sign cookies with it: cart_cookie.h).
    if (svc["env"].contains("MERCATO_CART_COOKIE_KEY")) {
      inst.env["MERCATO_CART_COOKIE_KEY"] = kTestCartCookieKey;
    }
    for (const auto& key : {std::string("*"), name}) {
      auto it = options.env.find(key);
      if (it == options.env.end()) continue;
      for (const auto& [k, v] : it->second) inst.env[k] = v;
    }
  }
  for (const auto& name : suite->order_) {
    if (auto s = suite->StartService(name); !s.ok()) return s;
  }
  return suite;
}

Suite::~Suite() {
  // Stop in reverse order: callers first.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) Kill(*it);
}

int Suite::port(const std::string& service) const { return instances_.at(service).port; }

int Suite::admin_port(const std::string& service) const {
  return instances_.at(service).admin_port;
}

std::string Suite::address(const std::string& service) const {
  return absl::StrCat("127.0.0.1:", instances_.at(service).port);
}

std::string Suite::database(const std::string& service) const {
  return instances_.at(service).database_url;
}

ChildProcess& Suite::process(const std::string& service) { return *instances_.at(service).process; }

absl::Status Suite::StartService(const std::string& service) {
  Instance& inst = instances_.at(service);
  if (inst.process) inst.process->Kill();
  inst.process = std::make_unique<ChildProcess>(BinaryPath(inst.binary), inst.env, service);
  if (auto s = inst.process->Start(); !s.ok()) return s;
  absl::Status ready;
  if (inst.kind == "http") {
    ready = WaitForPort(inst.port, std::chrono::seconds(20));
    if (ready.ok() && HttpClient(inst.port).Get("/healthz").status != 200) {
      ready = absl::UnavailableError("gateway /healthz is not 200");
    }
  } else {
    ready = WaitForGrpcHealthy(address(service), std::chrono::seconds(30));
  }
  if (!ready.ok()) {
    return absl::UnavailableError(absl::StrCat(service, " did not start: ", ready.message(),
                                               "\n--- log ---\n", inst.process->ReadLog()));
  }
  return absl::OkStatus();
}

absl::Status Suite::StartReplica(const std::string& service, const std::string& replica) {
  const Instance& original = instances_.at(service);
  Instance copy{.name = replica,
                .binary = original.binary,
                .kind = original.kind,
                .database_url = original.database_url,
                .env = original.env};
  copy.port = FreePort();
  copy.admin_port = FreePort();
  copy.env[copy.kind == "http" ? "MERCATO_HTTP_PORT" : "MERCATO_GRPC_PORT"] =
      absl::StrCat(copy.port);
  copy.env["MERCATO_ADMIN_PORT"] = absl::StrCat(copy.admin_port);
  instances_[replica] = std::move(copy);
  order_.push_back(replica);
  return StartService(replica);
}

void Suite::SetEnv(const std::string& service, const std::string& name, const std::string& value) {
  auto& env = instances_.at(service).env;
  if (value.empty()) {
    env.erase(name);
  } else {
    env[name] = value;
  }
}

void Suite::Kill(const std::string& service) {
  Instance& inst = instances_.at(service);
  if (inst.process) inst.process->Kill();
}

int Suite::Terminate(const std::string& service) {
  Instance& inst = instances_.at(service);
  if (!inst.process) return -1;
  inst.process->Signal(SIGTERM);
  return inst.process->Wait(std::chrono::seconds(30));
}

}  // namespace mercato::testing
