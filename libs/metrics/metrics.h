// Prometheus metrics for one process, served on its own admin HTTP port (GET /metrics), apart
// from the port that serves traffic.
//
//   mercato::Metrics metrics("catalog");
//   auto& orders = prometheus::BuildCounter().Name("mercato_orders_placed_total")
//                      .Help("...").Register(metrics.registry());
//   metrics.StartAdminServer("0.0.0.0", 9101);
#pragma once

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/memory_trim.h"

namespace mercato {

class Metrics {
 public:
  // Registers the process collector (CPU, memory, open files, threads, start time) and a
  // mercato_build_info gauge labelled with the service name.
  explicit Metrics(std::string service);
  ~Metrics();

  prometheus::Registry& registry() { return *registry_; }
  const std::string& service() const { return service_; }

  // Serves /metrics on address:port (port 0 picks a free one). UNAVAILABLE if it cannot bind.
  absl::Status StartAdminServer(const std::string& address, int port);
  // The bound admin port, 0 before StartAdminServer().
  int admin_port() const { return admin_port_; }

 private:
  std::string service_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int admin_port_ = 0;
};

// Histogram buckets (seconds) for request latencies: 0.5 ms .. 10 s.
const std::vector<double>& LatencyBuckets();

// How often the idle memory trim looks at the process's CPU time.
inline constexpr std::chrono::milliseconds kIdleTrimPeriod{10000};

// Starts the idle memory trim (common/memory_trim.h: `trim`, by default glibc's malloc_trim,
// once the process has been quiet for kIdleTrimPeriod), each trim counted in
// mercato_idle_memory_trims_total of `registry` and logged at debug level. Every service and
// the gateway run one; the gateway, which runs on tcmalloc, passes tcmalloc's own.
std::unique_ptr<IdleTrimmer> StartIdleMemoryTrim(prometheus::Registry& registry,
                                                 std::function<void()> trim = {});

}  // namespace mercato
