// The HTTP API of the gateway. Every request passes a chain of filters (Handle), each of
// which may answer it:
//   StartTrace          request id and trace (W3C traceparent: the client's, or a new one;
//                       X-Trace-Id in the response), deadline, client address (X-Forwarded-For
//                       from trusted proxies only)
//   ShedLoad            503 beyond MERCATO_MAX_IN_FLIGHT (probes excepted)
//   LimitClient         429 per client address (probes excepted)
//   ResolveRoute        404 / 405, or a static file
//   AuthenticateCaller  the caller from the access token as the route's AuthPolicy says (401)
//   LimitRoute          429 per user, then the route's own RouteLimits (router.h)
// then Dispatch runs the route's handler on the I/O thread (it answers at once or starts
// asynchronous work; nothing blocks), and Finish records metrics and writes the access log. What a
// route needs (auth policy, limits) is declared on the route where it is registered (the
// *_routes.cc files).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/call_context.h"
#include "gateway/auth.h"
#include "gateway/backends.h"
#include "gateway/config.h"
#include "gateway/http_server.h"
#include "gateway/rate_limiter.h"
#include "gateway/readiness_cache.h"
#include "gateway/response_cache.h"
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
  const Router& router() const { return router_; }

 private:
  // One request on its way through the filters to its handler and out through Finish.
  struct Exchange {
    HttpRequest request;
    Done done;
    std::chrono::steady_clock::time_point start;
    CallContext call;
    Router::Match match;
    // The metrics label: the route's pattern, "static" or "unmatched".
    std::string label;
    bool probe = false;
    // Requests in flight when this one arrived, itself included.
    int in_flight = 0;
  };
  using ExchangePtr = std::shared_ptr<Exchange>;
  // A step of the request pipeline: a response ends the exchange there, nullopt goes on.
  using Filter = std::optional<HttpResponse> (GatewayService::*)(Exchange&);

  // The filters, in the order Handle runs them.
  std::optional<HttpResponse> StartTrace(Exchange& x);
  std::optional<HttpResponse> ShedLoad(Exchange& x);
  std::optional<HttpResponse> LimitClient(Exchange& x);
  std::optional<HttpResponse> ResolveRoute(Exchange& x);
  std::optional<HttpResponse> AuthenticateCaller(Exchange& x);
  std::optional<HttpResponse> LimitRoute(Exchange& x);

  // Runs the matched route's handler: asynchronous, or answering at once.
  void Dispatch(const ExchangePtr& x);
  HttpResponse RunHandler(const Route& route, const HttpRequest& request);
  // Metrics, access log, X-Request-Id / X-Trace-Id; then `done`.
  void Finish(Exchange& x, HttpResponse response);
  HttpResponse Healthz(const HttpRequest& request);
  void Readyz(const HttpRequest& request, Respond respond);
  HttpResponse ReadyzLocal(const HttpRequest& request);
  // 429 when `limiter` refuses `key`, else nullopt.
  std::optional<HttpResponse> Limit(RateLimiter& limiter, prometheus::Counter& refused,
                                    const std::string& key);
  HttpResponse Overloaded(const char* message);

  const GatewayConfig& config_;
  Backends& backends_;
  StaticFiles static_files_;
  // Checks access tokens for routes whose AuthPolicy asks for them (auth.h).
  AccessTokenVerifier verifier_;
  // /readyz's backend checks, cached and single-flight: the route is public.
  ReadinessCache readiness_;
  // The catalog routes' response cache; null when off.
  std::unique_ptr<CatalogCache> catalog_cache_;
  Router router_;
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
  RouteMetrics& MetricsFor(const std::string& route_label)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(metrics_mu_);

  // Requests that could not be read (ProtocolError), by reason.
  prometheus::Family<prometheus::Counter>& protocol_errors_;

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  absl::Mutex metrics_mu_;
  std::unordered_map<std::string, RouteMetrics> route_metrics_ ABSL_GUARDED_BY(metrics_mu_);
};

}  // namespace mercato::gateway
