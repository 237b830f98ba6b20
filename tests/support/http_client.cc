#include "support/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"

namespace mercato::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string HttpResult::Header(const std::string& name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

HttpClient::HttpClient(int port, std::string host) : port_(port), host_(std::move(host)) {}

HttpResult HttpClient::Get(const std::string& target,
                           const std::map<std::string, std::string>& headers) const {
  return Send("GET", target, "", headers);
}

HttpResult HttpClient::Post(const std::string& target, const nlohmann::json& body,
                            const std::map<std::string, std::string>& headers) const {
  auto h = headers;
  h.emplace("Content-Type", "application/json");
  return Send("POST", target, body.dump(), h);
}

HttpResult HttpClient::Send(const std::string& method, const std::string& target,
                            const std::string& body,
                            const std::map<std::string, std::string>& headers) const {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(net::ip::make_address(host_), static_cast<unsigned short>(port_)));
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, host_);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body() = body;
    req.prepare_payload();
  }
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser);
  auto& res = parser.get();
  HttpResult result;
  result.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    result.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  }
  result.body = res.body();
  result.json = nlohmann::json::parse(result.body, nullptr, /*allow_exceptions=*/false);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return result;
}

std::string HttpClient::SendRaw(const std::string& bytes) const {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(tcp::endpoint(net::ip::make_address(host_), static_cast<unsigned short>(port_)));
  net::write(stream.socket(), net::buffer(bytes));
  // Reads until the server closes the connection (or 10 s pass).
  std::string out;
  beast::error_code ec;
  char buf[4096];
  for (;;) {
    stream.expires_after(std::chrono::seconds(10));
    size_t n = stream.read_some(net::buffer(buf), ec);
    if (n > 0) out.append(buf, n);
    if (ec) break;
  }
  return out;
}

}  // namespace mercato::testing
