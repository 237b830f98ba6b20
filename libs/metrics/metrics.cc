#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "metrics/process_collector.h"

namespace mercato {

Metrics::Metrics(std::string service)
    : service_(std::move(service)),
      registry_(std::make_shared<prometheus::Registry>()),
      process_collector_(std::make_shared<ProcessCollector>()) {
  prometheus::BuildGauge()
      .Name("mercato_build_info")
      .Help("Always 1; labels name the service")
      .Register(*registry_)
      .Add({{"service", service_}})
      .Set(1);
}

Metrics::~Metrics() = default;

absl::Status Metrics::StartAdminServer(const std::string& address, int port) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(absl::StrCat(address, ":", port));
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ":", port, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(process_collector_);
  auto ports = exposer_->GetListeningPorts();
  admin_port_ = ports.empty() ? port : ports.front();
  return absl::OkStatus();
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return buckets;
}

std::unique_ptr<IdleTrimmer> StartIdleMemoryTrim(prometheus::Registry& registry,
                                                 std::function<void()> trim) {
  prometheus::Counter& trims = prometheus::BuildCounter()
                                   .Name("mercato_idle_memory_trims_total")
                                   .Help("Free memory handed back to the system, once "
                                         "quiet after a busy spell")
                                   .Register(registry)
                                   .Add({});
  IdleTrimOptions options{.period = kIdleTrimPeriod, .trim = std::move(trim)};
  auto trimmer = std::make_unique<IdleTrimmer>(
      std::move(options), [&trims](const TrimResult& result) {
        trims.Increment();
        spdlog::debug("idle memory trim: anonymous memory {} kB -> {} kB",
                      result.anonymous_kb_before, result.anonymous_kb_after);
      });
  trimmer->Start();
  return trimmer;
}

}  // namespace mercato
