// mercato-healthcheck: exits 0 when the service at an address is healthy, 1 when it is not,
// 2 on a usage error. For container healthchecks (compose, `docker run`) and Kubernetes exec
// probes; the service images have no shell, so it runs in exec form:
//
//   mercato-healthcheck 127.0.0.1:50051                          grpc.health.v1 Check of ""
//   mercato-healthcheck --service=NAME 127.0.0.1:50051           one named service's status
//                                     (Mercato's servers report the whole server, "", only)
//   mercato-healthcheck --http --path=/healthz 127.0.0.1:8080    HTTP GET, healthy on 2xx
//   mercato-healthcheck --timeout=2000 ...                       whole-check limit in ms (1000)
//
// It prints one line saying what it saw: Docker keeps it in `docker inspect` and Kubernetes
// shows it in the probe's event.
#include <grpcpp/grpcpp.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "grpc/health/v1/health.grpc.pb.h"

namespace {

constexpr int kHealthy = 0;
constexpr int kUnhealthy = 1;
constexpr int kUsage = 2;

struct Options {
  std::string address;  // host:port
  std::string service;  // grpc.health.v1 service name; "" is the whole server
  bool http = false;
  std::string path = "/healthz";
  std::chrono::milliseconds timeout{1000};
};

void PrintUsage() {
  std::fputs(
      "usage: mercato-healthcheck [--service=NAME] [--timeout=MS] HOST:PORT\n"
      "       mercato-healthcheck --http [--path=/healthz] [--timeout=MS] HOST:PORT\n"
      "Exit status 0: healthy (gRPC SERVING, or HTTP 2xx); 1: not healthy; 2: usage.\n",
      stderr);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::optional<Options> ParseArguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--http") {
      options.http = true;
    } else if (StartsWith(arg, "--service=")) {
      options.service = arg.substr(std::string_view("--service=").size());
    } else if (StartsWith(arg, "--path=")) {
      options.path = arg.substr(std::string_view("--path=").size());
      if (!StartsWith(options.path, "/")) return std::nullopt;
    } else if (StartsWith(arg, "--timeout=")) {
      const std::string value(arg.substr(std::string_view("--timeout=").size()));
      char* end = nullptr;
      const long ms = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || ms <= 0 || ms > 600000) return std::nullopt;
      options.timeout = std::chrono::milliseconds(ms);
    } else if (!StartsWith(arg, "-") && options.address.empty()) {
      options.address = arg;
    } else {
      return std::nullopt;
    }
  }
  if (options.address.empty() || options.address.rfind(':') == std::string::npos) {
    return std::nullopt;
  }
  return options;
}

int CheckGrpc(const Options& options) {
  auto channel = grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options.timeout);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(options.service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  const std::string name = options.service.empty() ? "server" : options.service;
  if (!status.ok()) {
    std::printf("%s at %s: health check failed: %s (gRPC code %d)\n", name.c_str(),
                options.address.c_str(), status.error_message().c_str(),
                static_cast<int>(status.error_code()));
    return kUnhealthy;
  }
  const auto serving = response.status();
  std::printf("%s at %s: %s\n", name.c_str(), options.address.c_str(),
              grpc::health::v1::HealthCheckResponse::ServingStatus_Name(serving).c_str());
  return serving == grpc::health::v1::HealthCheckResponse::SERVING ? kHealthy : kUnhealthy;
}

int CheckHttp(const Options& options) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using boost::asio::ip::tcp;
  const std::size_t colon = options.address.rfind(':');
  std::string host = options.address.substr(0, colon);
  const std::string port = options.address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]:8080
  }
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    // A synchronous resolve has no timeout of its own; numeric addresses (the usual case in
    // a probe) never block. Connect, write and read are asynchronous so that the stream's
    // expiry bounds them all (Beast's synchronous calls ignore it).
    const auto endpoints = resolver.resolve(host, port);
    stream.expires_after(options.timeout);
    http::request<http::empty_body> request(http::verb::get, options.path, 11);
    request.set(http::field::host, options.address);
    request.set(http::field::user_agent, "mercato-healthcheck");
    request.set(http::field::connection, "close");
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    beast::error_code error;
    stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        error = ec;
        return;
      }
      http::async_write(stream, request, [&](beast::error_code write_ec, std::size_t) {
        if (write_ec) {
          error = write_ec;
          return;
        }
        http::async_read(stream, buffer, response,
                         [&](beast::error_code read_ec, std::size_t) { error = read_ec; });
      });
    });
    io.run();
    if (error) {
      std::printf("GET http://%s%s failed: %s\n", options.address.c_str(), options.path.c_str(),
                  error.message().c_str());
      return kUnhealthy;
    }
    const unsigned code = response.result_int();
    std::printf("GET http://%s%s: %u\n", options.address.c_str(), options.path.c_str(), code);
    return code >= 200 && code < 300 ? kHealthy : kUnhealthy;
  } catch (const std::exception& e) {
    std::printf("GET http://%s%s failed: %s\n", options.address.c_str(), options.path.c_str(),
                e.what());
    return kUnhealthy;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = ParseArguments(argc, argv);
  if (!options) {
    PrintUsage();
    return kUsage;
  }
  return options->http ? CheckHttp(*options) : CheckGrpc(*options);
}
