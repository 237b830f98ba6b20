// Test support: starts real Mercato service binaries, wired together as deploy/services.json
// describes, against the shared test PostgreSQL and Redis (and Kafka, when asked), each on free
// ports, each with the key variables it reads made from the test keys (support/identity.h).
// Gateways run with their response cache off (MERCATO_GATEWAY_CACHE_MAX_BYTES=0) unless
// options.env turns it on.
//
//   auto suite = Suite::Start({.services = {"gateway"}});  // + everything the gateway calls
//   HttpClient http(suite->port("gateway"));
//   suite->Kill("catalog"); suite->StartService("catalog");  // crash and restart
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "support/process.h"

namespace mercato::testing {

// The MERCATO_CART_COOKIE_KEY every suite's gateway gets: tests sign guest cart cookies with
// it (gateway/cart_cookie.h) and forge them without it.
inline constexpr char kTestCartCookieKey[] = "mercato-test-cart-cookie-key-0123456789abcdef";

struct SuiteOptions {
  // Services to run; with `with_dependencies` the services they call are added. A called
  // service that is not run is given an address where nothing listens (calls fail with
  // UNAVAILABLE), which is how tests see one backend missing.
  std::set<std::string> services = {"gateway"};
  bool with_dependencies = true;
  // Extra environment per service name ("*" for all).
  std::map<std::string, std::map<std::string, std::string>> env;
  // Prefix of the databases created for this suite (one per owning service).
  std::string database_prefix = "suite";
  // Start the shared test Kafka broker (KafkaServer::Shared(), support/kafka.h) and give its
  // address to the services that publish or consume events ("kafka": true in
  // deploy/services.json). Without it they get MERCATO_KAFKA_BROKERS where no broker listens:
  // they work, and their events wait in their outboxes.
  bool kafka = false;
};

class Suite {
 public:
  static absl::StatusOr<std::unique_ptr<Suite>> Start(SuiteOptions options);
  ~Suite();

  // The service's main port (gRPC, or HTTP for the gateway) and its admin port.
  int port(const std::string& service) const;
  int admin_port(const std::string& service) const;
  std::string address(const std::string& service) const;  // 127.0.0.1:<port>
  // The service's database URL (for assertions through psql).
  std::string database(const std::string& service) const;
  // The Kafka bootstrap address the services were given ("" without options.kafka).
  std::string kafka_brokers() const { return kafka_brokers_; }
  ChildProcess& process(const std::string& service);

  // Starts (again) one service on its same ports and waits until it is healthy.
  absl::Status StartService(const std::string& service);
  // Starts one more instance of a running `service` under the name `replica` (port(replica)
  // and the rest then work): the same environment and database, ports of its own. Stopped with
  // the suite, before the others.
  absl::Status StartReplica(const std::string& service, const std::string& replica);
  // Sets (an empty value: removes) a variable of the service's environment, from its next
  // StartService on.
  void SetEnv(const std::string& service, const std::string& name, const std::string& value);
  void Kill(const std::string& service);
  // SIGTERM and wait; returns the wait status.
  int Terminate(const std::string& service);

 private:
  struct Instance {
    std::string name;
    std::string binary;  // the service's name, also for a replica
    std::string kind;
    int port = 0;
    int admin_port = 0;
    std::string database_url;
    std::map<std::string, std::string> env;
    std::unique_ptr<ChildProcess> process;
  };
  Suite() = default;

  SuiteOptions options_;
  std::string kafka_brokers_;
  std::vector<std::string> order_;  // start order: callees first
  std::map<std::string, Instance> instances_;
};

}  // namespace mercato::testing
