// An asynchronous HTTP/1.1 server on Boost.Beast: keep-alive, header, body and per-connection
// buffer limits (http_request_reader.h), idle timeouts, N I/O threads. It knows nothing of
// routes or JSON: each parsed request goes to a RequestHandler, which answers through a
// callback from any thread; a request that cannot be read goes to its ProtocolError.
//
//   HttpServer server({.address = "0.0.0.0", .port = 8080, .io_threads = 2}, handler);
//   server.Start();
//   ...
//   server.StopAccepting();  // drain: finish in-flight requests, then
//   server.Stop();
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gateway/http_request_reader.h"
#include "gateway/http_types.h"

namespace mercato::gateway {

class RequestHandler {
 public:
  using Done = std::function<void(HttpResponse)>;
  virtual ~RequestHandler() = default;
  // Answer exactly once by calling `done`, on any thread.
  virtual void Handle(HttpRequest request, Done done) = 0;
  // A request that could not be read (malformed, too large, badly framed, aborted, timed out):
  // to be logged and counted. Returns the response to send before the connection is closed
  // (not sent when failure.status is 0: nobody is left to read it).
  virtual HttpResponse ProtocolError(const ProtocolFailure& failure,
                                     std::string_view client_address) = 0;
  // Whether responses should ask clients to close the connection (draining).
  virtual bool draining() const = 0;
};

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 8080;
  int io_threads = 1;
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds idle_timeout{30000};
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler& handler);
  ~HttpServer();

  // Binds and starts the I/O threads. UNAVAILABLE when the address cannot be bound.
  absl::Status Start();
  // The bound port (useful with port 0).
  int port() const { return port_; }
  // Closes the listening socket; open connections keep being served.
  void StopAccepting();
  // Stops all I/O and joins the threads.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  HttpServerOptions options_;
  RequestHandler& handler_;
  int port_ = 0;
};

}  // namespace mercato::gateway
