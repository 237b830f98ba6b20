// Calls one route of a gateway Router in-process, for route tests whose backends answer on the
// calling thread (gMock stubs with testing::*StubWithAsync, mock_async.h):
//
//   HttpRequest request;
//   request.method = http::verb::post;
//   request.path = "/api/v1/orders/o-1/cancel";
//   HttpResponse response = testing::CallRoute(router_, std::move(request));
//
// Fills the request's segments and path parameters from the route found; a path no route
// matches fails the test and returns an empty response.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <utility>

#include "gateway/router.h"

namespace mercato::testing {

inline gateway::HttpResponse CallRoute(const gateway::Router& router,
                                       gateway::HttpRequest request) {
  request.segments = gateway::SplitPath(request.path);
  auto match = router.Find(request.method, request.segments);
  EXPECT_EQ(match.kind, gateway::Router::Match::kFound) << request.path;
  if (match.kind != gateway::Router::Match::kFound) return gateway::HttpResponse{};
  request.path_params = match.params;
  std::optional<gateway::HttpResponse> response;
  match.route->async_handler(request, [&](gateway::HttpResponse r) { response = std::move(r); });
  EXPECT_TRUE(response.has_value()) << request.path;
  return response.value_or(gateway::HttpResponse{});
}

}  // namespace mercato::testing
