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
                 [this](ReadinessCache::Done done) {
                   CheckBackends(backends_, std::chrono::milliseconds(1000), std::move(done));
                 }),
      catalog_cache_(MakeCatalogCache(backends, config, metrics.registry())),
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
  router_.Add(http::verb::get, "/healthz", [this](const HttpRequest& r) { return Healthz(r); });
  router_.Add(http::verb::get, "/readyz",
              [this](const HttpRequest& r, Respond respond) { Readyz(r, std::move(respond)); });
  router_.Add(http::verb::get, "/readyz/local",
              [this](const HttpRequest& r) { return ReadyzLocal(r); });
  RegisterCatalogRoutes(router_, backends_, config_, catalog_cache_.get());
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

void GatewayService::Readyz(const HttpRequest&, Respond respond) {
  if (draining_) return respond(JsonResponse(503, {{"status", "draining"}}));
  readiness_.Get([respond = std::move(respond)](const ReadinessCache::Result& backends) {
    bool ready = true;
    Json detail = Json::object();
    for (const auto& [name, state] : backends) {
      detail[name] = state;
      ready = ready && state == "SERVING";
    }
    respond(JsonResponse(ready ? 200 : 503,
                         {{"status", ready ? "ready" : "not_ready"}, {"backends", detail}}));
  });
}

// One line per failure, without request content (it may hold credentials), and a count by
// reason: an attack that never produces a complete request still shows.
HttpResponse GatewayService::ProtocolError(const ProtocolFailure& failure,
                                           std::string_view client_address) {
  ScopedCallContext scope(CallContext{.request_id = NewRequestId()});
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

HttpResponse GatewayService::Overloaded(const char* message) {
  overloaded_.Increment();
  HttpResponse response = ErrorResponse(503, "overloaded", message);
  response.Header("Retry-After", "1");
  return response;
}

void GatewayService::Handle(HttpRequest request, Done done) {
  static constexpr Filter kFilters[] = {
      &GatewayService::StartTrace,         &GatewayService::ShedLoad,
      &GatewayService::LimitClient,        &GatewayService::ResolveRoute,
      &GatewayService::AuthenticateCaller, &GatewayService::LimitRoute,
  };
  auto x = std::make_shared<Exchange>(Exchange{.request = std::move(request),
                                               .done = std::move(done),
                                               .start = std::chrono::steady_clock::now(),
                                               .in_flight = ++in_flight_});
  for (Filter filter : kFilters) {
    if (auto response = (this->*filter)(*x)) return Finish(*x, *std::move(response));
  }
  Dispatch(x);
}

std::optional<HttpResponse> GatewayService::StartTrace(Exchange& x) {
  HttpRequest& request = x.request;
  const std::string_view client_id = request.Header("x-request-id");
  x.call.request_id = IsAcceptableRequestId(client_id) ? std::string(client_id) : NewRequestId();
  const std::string traceparent(request.Header("traceparent"));
  x.call.traceparent = IsValidTraceparent(traceparent) ? traceparent : NewTraceparent();
  x.call.trace_id = TraceIdOf(x.call.traceparent);
  x.call.deadline = std::chrono::system_clock::now() + config_.request_timeout;
  request.client_address =
      config_.trusted_proxies.ClientAddress(request.client_address, ForwardedFor(request));
  x.probe = IsProbe(request);
  x.match = router_.Find(request.method, request.segments);
  // Requests refused before their handler are counted under their route when there is one.
  x.label = x.match.kind == Router::Match::kFound ? x.match.route->pattern : "unmatched";
  return std::nullopt;
}

// Load shedding for every route: at most MERCATO_MAX_IN_FLIGHT requests are being answered.
std::optional<HttpResponse> GatewayService::ShedLoad(Exchange& x) {
  if (x.probe || x.in_flight <= config_.max_in_flight) return std::nullopt;
  return Overloaded("the gateway is at capacity, retry shortly");
}

std::optional<HttpResponse> GatewayService::LimitClient(Exchange& x) {
  if (x.probe) return std::nullopt;
  return Limit(client_limiter_, rate_limited_client_, x.request.client_address);
}

std::optional<HttpResponse> GatewayService::ResolveRoute(Exchange& x) {
  HttpRequest& request = x.request;
  switch (x.match.kind) {
    case Router::Match::kFound:
      request.path_params = std::move(x.match.params);
      return std::nullopt;
    case Router::Match::kMethodNotAllowed: {
      HttpResponse response =
          ErrorResponse(405, "method_not_allowed",
                        absl::StrCat("method ", std::string(http::to_string(request.method)),
                                     " is not allowed here"));
      response.Header("Allow", MethodList(x.match.allowed));
      return response;
    }
    case Router::Match::kNotFound:
      break;
  }
  if (request.method == http::verb::get && request.path.rfind("/api/", 0) != 0) {
    if (auto file = static_files_.Serve(request)) {
      x.label = "static";
      return file;
    }
  }
  return ErrorResponse(404, "not_found", "no such route");
}

// The caller's identity comes from a verified access token only; no header a client sends
// (X-Mercato-User-Id or any other) ever becomes identity metadata.
std::optional<HttpResponse> GatewayService::AuthenticateCaller(Exchange& x) {
  auto identity =
      Authenticate(verifier_, x.match.route->auth, x.request, std::chrono::system_clock::now());
  if (!identity.ok()) return UnauthorizedResponse(identity.status());
  if (*identity) {
    x.call.user_id = std::move((*identity)->user_id);
    x.call.user_role = std::move((*identity)->role);
    x.call.access_token = std::move((*identity)->access_token);
  }
  return std::nullopt;
}

std::optional<HttpResponse> GatewayService::LimitRoute(Exchange& x) {
  if (!x.call.user_id.empty()) {
    if (auto refused = Limit(user_limiter_, rate_limited_user_, x.call.user_id)) return refused;
  }
  for (RouteLimit limit : x.match.route->limits) {
    std::optional<HttpResponse> refused;
    switch (limit) {
      case RouteLimit::kSignIn:
        refused = Limit(login_limiter_, rate_limited_login_, x.request.client_address);
        break;
      case RouteLimit::kCheckout:
        refused = Limit(checkout_limiter_, rate_limited_checkout_, x.call.user_id);
        break;
    }
    if (refused) return refused;
  }
  return std::nullopt;
}

void GatewayService::Dispatch(const ExchangePtr& x) {
  const Route& route = *x->match.route;
  ScopedCallContext scope(x->call);
  if (route.async_handler) {
    try {
      route.async_handler(x->request,
                          [this, x](HttpResponse response) { Finish(*x, std::move(response)); });
    } catch (const std::exception& e) {
      spdlog::error("handler for {} threw: {}", route.pattern, e.what());
      Finish(*x, ErrorResponse(500, "internal", "internal error"));
    }
    return;
  }
  Finish(*x, RunHandler(route, x->request));
}

HttpResponse GatewayService::RunHandler(const Route& route, const HttpRequest& request) {
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

void GatewayService::Finish(Exchange& x, HttpResponse response) {
  ScopedCallContext scope(x.call);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - x.start).count();
  const std::string method(http::to_string(x.request.method));
  {
    absl::MutexLock lock(&metrics_mu_);
    RouteMetrics& m = MetricsFor(x.label);
    auto& counter = m.requests[{method, response.status}];
    if (counter == nullptr) {
      counter = &requests_.Add(
          {{"route", x.label}, {"method", method}, {"code", absl::StrCat(response.status)}});
    }
    counter->Increment();
    m.latency->Observe(seconds);
  }
  if (config_.access_log) {
    spdlog::info("{} {} {} {:.1f}ms", method, x.request.path, response.status, seconds * 1000);
  }
  response.Header("X-Request-Id", x.call.request_id);
  if (!x.call.trace_id.empty()) response.Header("X-Trace-Id", x.call.trace_id);
  // Read your writes: this client's next catalog read waits for the catalog's new version.
  if (catalog_cache_ && MayChangeCatalog(x.request)) {
    catalog_cache_->version.Invalidate(std::chrono::steady_clock::now());
  }
  --in_flight_;
  x.done(std::move(response));
}

}  // namespace mercato::gateway
