// Maps (method, path) to a route. Patterns are literal segments and {placeholders}:
//
//   router.Add(http::verb::get, "/api/v1/products/{id}", handler);
//   auto match = router.Find(http::verb::get, {"api", "v1", "products", "42"});
//   // match.route->handler, match.params["id"] == "42"
//
// A path that no pattern matches is kNotFound; a path that matches only with other methods
// is kMethodNotAllowed and lists them (for the Allow header).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gateway/http_types.h"

namespace mercato::gateway {

// A handler that answers at once from what it has in memory (health, the OpenAPI spec). Runs
// on the I/O thread, so it must never block.
using Handler = std::function<HttpResponse(const HttpRequest&)>;
// A handler that starts asynchronous work (e.g. a gRPC callback-API call, see backend_call.h)
// and answers through `respond` exactly once, from any thread; the request stays valid until
// then. Runs on the I/O thread, so it must never block.
using Respond = std::function<void(HttpResponse)>;
using AsyncHandler = std::function<void(const HttpRequest&, Respond)>;

// What the gateway does with the Authorization header before calling the handler. A
// verified token sets CurrentCall().user_id / user_role (and so the metadata backends see).
enum class AuthPolicy {
  kNone,      // identity not used; the header is ignored
  kOptional,  // anonymous without a token; a present but invalid token is 401
  kRequired,  // 401 without a valid access token
};

// Rate limits a route passes besides the per-client and per-user ones every request passes
// (GatewayConfig), applied after authentication in the order listed.
enum class RouteLimit {
  kSignIn,    // per client address: sign-in and sign-up each cost the user service an argon2id
              // hash, and both are what credential stuffing and account spam hammer
  kCheckout,  // per user: placing orders
};

// A route's settings, declared where it is registered (like Envoy's per-route filter config).
struct RouteOptions {
  AuthPolicy auth = AuthPolicy::kNone;
  std::vector<RouteLimit> limits;
};

struct Route {
  http::verb method;
  std::string pattern;
  // Exactly one of handler / async_handler is set.
  Handler handler;
  AsyncHandler async_handler;
  AuthPolicy auth = AuthPolicy::kNone;
  std::vector<RouteLimit> limits;
};

// Every route is registered the same way, immediate or asynchronous:
//   router.Add(http::verb::post, "/api/v1/checkout", handler,
//              {.auth = AuthPolicy::kRequired, .limits = {RouteLimit::kCheckout}});
class Router {
 public:
  void Add(http::verb method, std::string pattern, Handler handler, RouteOptions options = {});
  void Add(http::verb method, std::string pattern, AsyncHandler handler, RouteOptions options = {});

  struct Match {
    enum Kind { kFound, kNotFound, kMethodNotAllowed } kind = kNotFound;
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::vector<http::verb> allowed;
  };
  // `segments` are the request's percent-decoded path segments.
  Match Find(http::verb method, const std::vector<std::string>& segments) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  void Add(Route route);
  static bool MatchPattern(const std::vector<std::string>& pattern,
                           const std::vector<std::string>& segments,
                           std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> split_patterns_;
};

// "/a/b/" -> {"a", "b"}; empty segments are dropped.
std::vector<std::string> SplitPath(const std::string& path);

}  // namespace mercato::gateway
