#include "gateway/gateway_service.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/call_context.h"
#include "common/ids.h"
#include "common/logging.h"
#include "gateway/json_codec.h"
#include "gateway/openapi.h"
#include "gateway/routes.h"

namespace mercato::gateway {
namespace {

// A client-supplied X-Request-Id is kept when it is short and plain; otherwise replaced.
bool IsAcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// Probes are never shed or rate limited: a busy gateway must not look dead to its kubelet.
bool IsProbe(const HttpRequest& request) {
  return request.method == http::verb::get &&
         (request.path == "/healthz" || request.path == "/readyz" ||
          request.path == "/readyz/local");
}

// Every X-Forwarded-For field, joined as one list.
std::string ForwardedFor(const HttpRequest& request) {
  std::string joined;
  auto range = request.headers.equal_range("x-forwarded-for");
  for (auto it = range.first; it != range.second; ++it) {
    if (!joined.empty()) joined += ",";
    joined.append(it->value().data(), it->value().size());
  }
  return joined;
}

std::string MethodList(const std::vector<http::verb>& verbs) {
  std::vector<std::string> names;
  for (auto v : verbs) names.emplace_back(http::to_string(v));
  return absl::StrJoin(names, ", ");
}

}  // namespace

GatewayService::GatewayService(const GatewayConfig& config, Backends& backends,
                               StaticFiles static_files, Metrics& metrics)
    : config_(config),
      backends_(backends),
      static_files_(std::move(static_files)),
      verifier_(*config.identity.access_token_key, config.jwt_clock_skew),
      readiness_(config.readyz_cache,
                 [this] { return CheckBackends(backends_, std::chrono::milliseconds(1000)); }),
      executor_("gw-handler", config.handler_threads, config.max_in_flight),
      client_limiter_(config.rate_limit_client),
      user_limiter_(config.rate_limit_user),
      login_limiter_(config.rate_limit_login),
      checkout_limiter_(config.rate_limit_checkout),
      rate_limited_(prometheus::BuildCounter()
                        .Name("mercato_gateway_rate_limited_total")
                        .Help("Requests refused with 429 by a rate limit: client (address), user, "
                              "login or checkout")
                        .Register(metrics.registry())),
      rate_limited_client_(rate_limited_.Add({{"limit", "client"}})),
      rate_limited_user_(rate_limited_.Add({{"limit", "user"}})),
      rate_limited_login_(rate_limited_.Add({{"limit", "login"}})),
      rate_limited_checkout_(rate_limited_.Add({{"limit", "checkout"}})),
      overloaded_(prometheus::BuildCounter()
                      .Name("mercato_gateway_overloaded_total")
                      .Help("Requests refused with 503 overloaded: MERCATO_MAX_IN_FLIGHT reached "
                            "(load shedding)")
                      .Register(metrics.registry())
                      .Add({})),
      protocol_errors_(prometheus::BuildCounter()
                           .Name("mercato_gateway_http_protocol_errors_total")
                           .Help("Requests that could not be read, by reason: bad_request, "
                                 "bad_transfer_encoding, unsupported_transfer_encoding, "
                                 "headers_too_large, body_too_large, request_too_large, "
                                 "aborted, timeout")
                           .Register(metrics.registry())),
      requests_(prometheus::BuildCounter()
                    .Name("http_requests_total")
                    .Help("HTTP requests answered, by route pattern, method and status code")
                    .Register(metrics.registry())),
      latency_(prometheus::BuildHistogram()
                   .Name("http_request_duration_seconds")
                   .Help("HTTP request latency by route pattern")
                   .Register(metrics.registry())) {
  router_.Add(Route{http::verb::get, "/healthz",
                    [this](const HttpRequest& r) { return Healthz(r); }, AuthPolicy::kNone,
                    /*run_inline=*/true});
  router_.Add(Route{http::verb::get, "/readyz", [this](const HttpRequest& r) { return Readyz(r); },
                    AuthPolicy::kNone,
                    /*run_inline=*/false});
  router_.Add(Route{http::verb::get, "/readyz/local",
                    [this](const HttpRequest& r) { return ReadyzLocal(r); }, AuthPolicy::kNone,
                    /*run_inline=*/true});
  RegisterCatalogRoutes(router_, backends_, config_);
  RegisterAccountRoutes(router_, backends_, config_);
  RegisterCartRoutes(router_, backends_, config_);
  RegisterCheckoutRoutes(router_, backends_, config_);
  RegisterAdminRoutes(router_, backends_, config_);
  RegisterOpenApiRoute(router_);
}

HttpResponse GatewayService::Healthz(const HttpRequest&) {
  return JsonResponse(200, {{"status", "ok"}});
}

// Kubernetes' readiness probe: this gateway takes traffic unless it is draining. Backends are
// not consulted: every gateway pod shares them, so taking gateway pods out of the Service
// when one backend is down would turn a degraded shop (browsing works while payment is down)
// into no shop at all.
HttpResponse GatewayService::ReadyzLocal(const HttpRequest&) {
  if (draining_) return JsonResponse(503, {{"status", "draining"}});
  return JsonResponse(200, {{"status", "ready"}});
}

HttpResponse GatewayService::Readyz(const HttpRequest&) {
  if (draining_) return JsonResponse(503, {{"status", "draining"}});
  auto backends = readiness_.Get();
  bool ready = true;
  Json detail = Json::object();
  for (const auto& [name, state] : backends) {
    detail[name] = state;
    ready = ready && state == "SERVING";
  }
  return JsonResponse(ready ? 200 : 503,
                      {{"status", ready ? "ready" : "not_ready"}, {"backends", detail}});
}

// One line per failure, without request content (it may hold credentials), and a count by
// reason: an attack that never produces a complete request still shows.
HttpResponse GatewayService::ProtocolError(const ProtocolFailure& failure,
                                           std::string_view client_address) {
  ScopedCallContext scope(CallContext{.request_id = NewUuid()});
  spdlog::warn("HTTP protocol error from {}: {} {} ({})", client_address, failure.status,
               failure.reason, failure.message);
  // The reasons are the reader's fixed set (http_request_reader.h): the label is bounded.
  protocol_errors_.Add({{"reason", failure.reason}}).Increment();
  HttpResponse response = ErrorResponse(failure.status, failure.reason, failure.message);
  response.Header("X-Request-Id", CurrentCall().request_id);
  return response;
}

std::optional<HttpResponse> GatewayService::Limit(RateLimiter& limiter,
                                                  prometheus::Counter& refused,
                                                  const std::string& key) {
  if (!limiter.limit().enabled()) return std::nullopt;
  RateLimiter::Decision decision = limiter.Take(key);
  if (decision.allowed) return std::nullopt;
  refused.Increment();
  HttpResponse response = ErrorResponse(
      429, "rate_limited",
      absl::StrCat("too many requests; retry in ", decision.retry_after_seconds, " s"));
  response.Header("Retry-After", absl::StrCat(decision.retry_after_seconds));
  return response;
}

void GatewayService::Handle(HttpRequest request, Done done) {
  const auto start = std::chrono::steady_clock::now();
  const int in_flight = ++in_flight_;

  CallContext call;
  const std::string_view client_id = request.Header("x-request-id");
  call.request_id = IsAcceptableRequestId(client_id) ? std::string(client_id) : NewUuid();
  const std::string traceparent(request.Header("traceparent"));
  call.traceparent = IsValidTraceparent(traceparent) ? traceparent : NewTraceparent();
  call.trace_id = TraceIdOf(call.traceparent);
  call.deadline = std::chrono::system_clock::now() + config_.request_timeout;
  request.client_address =
      config_.trusted_proxies.ClientAddress(request.client_address, ForwardedFor(request));

  Router::Match match = router_.Find(request.method, request.segments);
  // Requests refused before their handler are counted under their route when there is one.
  const std::string early_label =
      match.kind == Router::Match::kFound ? match.route->pattern : "unmatched";
  const bool probe = IsProbe(request);
  if (!probe && in_flight > config_.max_in_flight) {
    // Load shedding for every route, the asynchronous ones included (the handler pool's own
    // bound only covers the blocking ones).
    ScopedCallContext scope(call);
    overloaded_.Increment();
    HttpResponse response =
        ErrorResponse(503, "overloaded", "the gateway is at capacity, retry shortly");
    response.Header("Retry-After", "1");
    return Finish(request, early_label, start, std::move(response), done);
  }
  if (!probe) {
    if (auto refused = Limit(client_limiter_, rate_limited_client_, request.client_address)) {
      ScopedCallContext scope(call);
      return Finish(request, early_label, start, *std::move(refused), done);
    }
  }

  if (match.kind != Router::Match::kFound) {
    ScopedCallContext scope(call);
    HttpResponse response;
    std::string label = "unmatched";
    if (match.kind == Router::Match::kMethodNotAllowed) {
      response = ErrorResponse(405, "method_not_allowed",
                               absl::StrCat("method ", std::string(http::to_string(request.method)),
                                            " is not allowed here"));
      response.Header("Allow", MethodList(match.allowed));
    } else if (auto file = request.method == http::verb::get && request.path.rfind("/api/", 0) != 0
                               ? static_files_.Serve(request)
                               : std::nullopt) {
      response = std::move(*file);
      label = "static";
    } else {
      response = ErrorResponse(404, "not_found", "no such route");
    }
    return Finish(request, label, start, std::move(response), done);
  }

  const Route& route = *match.route;
  request.path_params = std::move(match.params);
  // The caller's identity comes from a verified access token only; no header a client sends
  // (X-Mercato-User-Id or any other) ever becomes identity metadata.
  auto identity = Authenticate(verifier_, route.auth, request, std::chrono::system_clock::now());
  if (!identity.ok()) {
    ScopedCallContext scope(call);
    return Finish(request, route.pattern, start, UnauthorizedResponse(identity.status()), done);
  }
  if (*identity) {
    call.user_id = std::move((*identity)->user_id);
    call.user_role = std::move((*identity)->role);
    call.access_token = std::move((*identity)->access_token);
  }
  {
    std::optional<HttpResponse> refused;
    if (!call.user_id.empty()) refused = Limit(user_limiter_, rate_limited_user_, call.user_id);
    // Sign-in and sign-up share one bucket per address: each costs the user service an
    // argon2id hash, and both are what credential stuffing and account spam hammer.
    if (!refused && request.method == http::verb::post &&
        (route.pattern == "/api/v1/sessions" || route.pattern == "/api/v1/users")) {
      refused = Limit(login_limiter_, rate_limited_login_, request.client_address);
    }
    if (!refused && request.method == http::verb::post && route.pattern == "/api/v1/checkout") {
      refused = Limit(checkout_limiter_, rate_limited_checkout_, call.user_id);
    }
    if (refused) {
      ScopedCallContext scope(call);
      return Finish(request, route.pattern, start, *std::move(refused), done);
    }
  }
  if (route.async_handler) {
    auto shared = std::make_shared<HttpRequest>(std::move(request));
    ScopedCallContext scope(call);
    try {
      route.async_handler(*shared, [this, shared, &route, start, done](HttpResponse response) {
        Finish(*shared, route.pattern, start, std::move(response), done);
      });
    } catch (const std::exception& e) {
      spdlog::error("handler for {} threw: {}", route.pattern, e.what());
      Finish(*shared, route.pattern, start, ErrorResponse(500, "internal", "internal error"), done);
    }
    return;
  }
  if (route.run_inline) {
    ScopedCallContext scope(call);
    HttpResponse response = Dispatch(route, request);
    return Finish(request, route.pattern, start, std::move(response), done);
  }
  auto shared = std::make_shared<HttpRequest>(std::move(request));
  const bool accepted = executor_.TrySubmit([this, &route, shared, call, start, done]() mutable {
    ScopedCallContext scope(std::move(call));
    HttpResponse response = std::chrono::system_clock::now() >= CurrentCall().deadline
                                ? ErrorResponse(503, "overloaded", "request waited too long")
                                : Dispatch(route, *shared);
    Finish(*shared, route.pattern, start, std::move(response), done);
  });
  if (!accepted) {
    ScopedCallContext scope(call);
    overloaded_.Increment();
    HttpResponse response =
        ErrorResponse(503, "overloaded", "the gateway is at capacity, retry shortly");
    response.Header("Retry-After", "1");
    Finish(*shared, route.pattern, start, std::move(response), done);
  }
}

HttpResponse GatewayService::Dispatch(const Route& route, const HttpRequest& request) {
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    spdlog::error("handler for {} threw: {}", route.pattern, e.what());
    return ErrorResponse(500, "internal", "internal error");
  }
}

GatewayService::RouteMetrics& GatewayService::MetricsFor(const std::string& route_label) {
  auto it = route_metrics_.find(route_label);
  if (it == route_metrics_.end()) {
    it = route_metrics_
             .emplace(route_label,
                      RouteMetrics{&latency_.Add({{"route", route_label}}, LatencyBuckets()), {}})
             .first;
  }
  return it->second;
}

void GatewayService::Finish(const HttpRequest& request, const std::string& route_label,
                            std::chrono::steady_clock::time_point start, HttpResponse response,
                            const Done& done) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string method(http::to_string(request.method));
  {
    std::lock_guard<std::mutex> lock(metrics_mu_);
    RouteMetrics& m = MetricsFor(route_label);
    auto& counter = m.requests[{method, response.status}];
    if (counter == nullptr) {
      counter = &requests_.Add(
          {{"route", route_label}, {"method", method}, {"code", absl::StrCat(response.status)}});
    }
    counter->Increment();
    m.latency->Observe(seconds);
  }
  if (config_.access_log) {
    spdlog::info("{} {} {} {:.1f}ms", method, request.path, response.status, seconds * 1000);
  }
  response.Header("X-Request-Id", CurrentCall().request_id);
  if (!CurrentCall().trace_id.empty()) response.Header("X-Trace-Id", CurrentCall().trace_id);
  --in_flight_;
  done(std::move(response));
}

}  // namespace mercato::gateway
