#include "gateway/router.h"

#include <algorithm>

#include "absl/strings/str_split.h"

namespace mercato::gateway {

std::optional<std::string> HttpRequest::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string_view HttpRequest::Header(http::field field) const {
  auto it = headers.find(field);
  if (it == headers.end()) return {};
  return {it->value().data(), it->value().size()};
}

std::string_view HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(boost::beast::string_view(name.data(), name.size()));
  if (it == headers.end()) return {};
  return {it->value().data(), it->value().size()};
}

const std::string& HttpRequest::Param(const std::string& name) const {
  static const std::string empty;
  auto it = path_params.find(name);
  return it == path_params.end() ? empty : it->second;
}

std::vector<std::string> SplitPath(const std::string& path) {
  return absl::StrSplit(path, '/', absl::SkipEmpty());
}

void Router::Add(Route route) {
  split_patterns_.push_back(SplitPath(route.pattern));
  routes_.push_back(std::move(route));
}

namespace {

Route RouteWith(http::verb method, std::string pattern, RouteOptions options) {
  return Route{.method = method,
               .pattern = std::move(pattern),
               .auth = options.auth,
               .limits = std::move(options.limits)};
}

}  // namespace

void Router::Add(http::verb method, std::string pattern, Handler handler, RouteOptions options) {
  Route route = RouteWith(method, std::move(pattern), std::move(options));
  route.handler = std::move(handler);
  Add(std::move(route));
}

void Router::Add(http::verb method, std::string pattern, AsyncHandler handler,
                 RouteOptions options) {
  Route route = RouteWith(method, std::move(pattern), std::move(options));
  route.async_handler = std::move(handler);
  Add(std::move(route));
}

bool Router::MatchPattern(const std::vector<std::string>& pattern,
                          const std::vector<std::string>& segments,
                          std::map<std::string, std::string>* params) {
  if (pattern.size() != segments.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      found[p.substr(1, p.size() - 2)] = segments[i];
    } else if (p != segments[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

Router::Match Router::Find(http::verb method, const std::vector<std::string>& segments) const {
  Match match;
  for (size_t i = 0; i < routes_.size(); ++i) {
    std::map<std::string, std::string> params;
    if (!MatchPattern(split_patterns_[i], segments, &params)) continue;
    if (routes_[i].method == method) {
      match.kind = Match::kFound;
      match.route = &routes_[i];
      match.params = std::move(params);
      return match;
    }
    if (std::find(match.allowed.begin(), match.allowed.end(), routes_[i].method) ==
        match.allowed.end()) {
      match.allowed.push_back(routes_[i].method);
    }
  }
  match.kind = match.allowed.empty() ? Match::kNotFound : Match::kMethodNotAllowed;
  return match;
}

}  // namespace mercato::gateway
