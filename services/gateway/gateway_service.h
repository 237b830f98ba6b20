// The HTTP API of the gateway: for every request it assigns a request id and trace (W3C
// traceparent: the client's, or a new one; X-Trace-Id in the response), sheds load beyond
// MERCATO_MAX_IN_FLIGHT (503), resolves the client address (X-Forwarded-For from trusted
// proxies only), applies the rate limits (429), finds the route (404 / 405 otherwise),
// establishes the caller from the access token as the route's AuthPolicy says (401
// otherwise), runs the handler on the handler pool with a deadline, records metrics and writes
// the access log. Routes are registered by the *_routes.cc files.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "common/executor.h"
#include "gateway/auth.h"
#include "gateway/backends.h"
#include "gateway/config.h"
#include "gateway/http_server.h"
#include "gateway/rate_limiter.h"
#include "gateway/readiness_cache.h"
#include "gateway/router.h"
#include "gateway/static_files.h"
#include "metrics/metrics.h"

namespace mercato::gateway {

class GatewayService final : public RequestHandler {
 public:
  GatewayService(const GatewayConfig& config, Backends& backends, StaticFiles static_files,
                 Metrics& metrics);

  void Handle(HttpRequest request, Done done) override;
  HttpResponse ProtocolError(const ProtocolFailure& failure,
                             std::string_view client_address) override;
  bool draining() const override { return draining_.load(); }

  // Readiness turns 503 and responses ask clients to close their connections.
  void StartDraining() { draining_ = true; }
  // Requests accepted and not yet answered.
  int in_flight() const { return in_flight_.load(); }
  // Stops the handler pool after finishing the queued requests.
  void Shutdown() { executor_.Shutdown(); }

  const Router& router() const { return router_; }

 private:
  HttpResponse Dispatch(const Route& route, const HttpRequest& request);
  void Finish(const HttpRequest& request, const std::string& route_label,
              std::chrono::steady_clock::time_point start, HttpResponse response,
              const Done& done);
  HttpResponse Healthz(const HttpRequest& request);
  HttpResponse Readyz(const HttpRequest& request);
  HttpResponse ReadyzLocal(const HttpRequest& request);
  // 429 when `limiter` refuses `key`, else nullopt.
  std::optional<HttpResponse> Limit(RateLimiter& limiter, prometheus::Counter& refused,
                                    const std::string& key);

  const GatewayConfig& config_;
  Backends& backends_;
  StaticFiles static_files_;
  // Checks access tokens for routes whose AuthPolicy asks for them (auth.h).
  AccessTokenVerifier verifier_;
  // /readyz's backend checks, cached and single-flight: the route is public.
  ReadinessCache readiness_;
  Router router_;
  BoundedExecutor executor_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};

  // Rate limits (GatewayConfig), per replica.
  RateLimiter client_limiter_;
  RateLimiter user_limiter_;
  RateLimiter login_limiter_;
  RateLimiter checkout_limiter_;
  prometheus::Family<prometheus::Counter>& rate_limited_;
  prometheus::Counter& rate_limited_client_;
  prometheus::Counter& rate_limited_user_;
  prometheus::Counter& rate_limited_login_;
  prometheus::Counter& rate_limited_checkout_;
  // Requests refused with 503 because the gateway was at MERCATO_MAX_IN_FLIGHT.
  prometheus::Counter& overloaded_;

  // Metric children per (route, method, status), found without building label maps on the
  // hot path.
  struct RouteMetrics {
    prometheus::Histogram* latency;
    std::map<std::pair<std::string, unsigned>, prometheus::Counter*> requests;
  };
  RouteMetrics& MetricsFor(const std::string& route_label);

  // Requests that could not be read (ProtocolError), by reason.
  prometheus::Family<prometheus::Counter>& protocol_errors_;

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  std::mutex metrics_mu_;
  std::unordered_map<std::string, RouteMetrics> route_metrics_;
};

}  // namespace mercato::gateway
