// The gateway's view of one HTTP exchange: a parsed request handed to a route handler and
// the response it returns. The wire format (parsing, limits, keep-alive) is Boost.Beast's
// business, in http_server.cc; URL decoding is Boost.URL's.
#pragma once

#include <boost/beast/http.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mercato::gateway {

namespace http = boost::beast::http;

struct HttpRequest {
  http::verb method = http::verb::get;
  // Path as sent (still percent-encoded), for logs and metrics.
  std::string path;
  // Percent-decoded path segments: "/api/v1/products/a%2Fb" -> {"api","v1","products","a/b"}.
  std::vector<std::string> segments;
  // Percent-decoded query parameters in order of appearance.
  std::vector<std::pair<std::string, std::string>> query;
  http::fields headers;
  std::string body;
  std::string client_address;
  // Values of {placeholders} in the matched route pattern.
  std::map<std::string, std::string> path_params;

  // The first value of a query parameter, if present.
  std::optional<std::string> Query(std::string_view name) const;
  // A header's value, empty when absent.
  std::string_view Header(http::field field) const;
  std::string_view Header(std::string_view name) const;
  const std::string& Param(const std::string& name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  HttpResponse& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace mercato::gateway
