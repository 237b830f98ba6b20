#include "gateway/http_server.h"

#include <spdlog/spdlog.h>

#include "common/logging.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"

namespace mercato::gateway {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Decoded URL parts end up in protobuf `string` fields, which must be UTF-8. nlohmann's strict
// serializer is the validator: it throws on invalid UTF-8.
bool IsValidUtf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, RequestHandler& handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) client_address_ = endpoint.address().to_string();
  }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(options_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == beast::error::timeout || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::header_limit) {
      return WriteProtocolError(431, "request headers are too large");
    }
    if (ec == http::error::body_limit) {
      return WriteProtocolError(413, "request body is too large");
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        return WriteProtocolError(400, "malformed HTTP request");
      }
      return Close();
    }

    auto& raw = parser_->get();
    HttpRequest request;
    request.method = raw.method();
    const std::string target(raw.target());
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return WriteProtocolError(400, "malformed request target");
    request.path = std::string(url->encoded_path());
    bool utf8 = true;
    for (auto segment : url->segments()) {
      utf8 = utf8 && IsValidUtf8(segment);
      request.segments.push_back(segment);
    }
    for (auto param : url->params()) {
      std::string value = param.has_value ? param.value : std::string();
      utf8 = utf8 && IsValidUtf8(param.key) && IsValidUtf8(value);
      request.query.emplace_back(param.key, std::move(value));
    }
    if (!utf8) return WriteProtocolError(400, "the request path or query is not valid UTF-8");
    request.body = std::move(raw.body());
    request.client_address = client_address_;
    keep_alive_ = raw.keep_alive();
    version_ = raw.version();
    request.headers = std::move(static_cast<http::fields&>(raw.base()));

    // The handler bounds its own time; the socket timeout applies to reads and writes.
    stream_.expires_never();
    auto self = shared_from_this();
    handler_.Handle(std::move(request), [self](HttpResponse response) {
      net::post(self->stream_.get_executor(),
                [self, response = std::move(response)]() mutable {
                  self->Write(std::move(response), /*close=*/false);
                });
    });
  }

  void WriteProtocolError(unsigned status, std::string message) {
    version_ = 11;
    Write(handler_.ProtocolError(status, std::move(message)), /*close=*/true);
  }

  void Write(HttpResponse response, bool close) {
    const bool keep_alive = keep_alive_ && !close && !handler_.draining();
    response_ = {};
    response_.version(version_);
    response_.result(response.status);
    response_.set(http::field::server, "mercato");
    if (!response.content_type.empty()) {
      response_.set(http::field::content_type, response.content_type);
    }
    for (auto& [name, value] : response.headers) response_.insert(name, value);
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(options_.idle_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this(),
                                                keep_alive));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    if (ec) return Close();
    if (!keep_alive) return Close();
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  const HttpServerOptions& options_;
  RequestHandler& handler_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string client_address_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(int threads) : ioc(threads), acceptor(net::make_strand(ioc)) {}

  void Accept(const HttpServerOptions& options, RequestHandler& handler) {
    acceptor.async_accept(net::make_strand(ioc), [this, &options, &handler](
                                                     beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), options, handler)->Start();
      } else {
        spdlog::warn("accept failed: {}", ec.message());
      }
      Accept(options, handler);
    });
  }

  net::io_context ioc;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
};

HttpServer::HttpServer(HttpServerOptions options, RequestHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() {
  impl_ = std::make_unique<Impl>(options_.io_threads);
  beast::error_code ec;
  auto address = net::ip::make_address(options_.address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad bind address ", options_.address));
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address, ":",
                                               options_.port, ": ", ec.message()));
  }
  port_ = acceptor.local_endpoint().port();
  impl_->Accept(options_, handler_);
  for (int i = 0; i < options_.io_threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return absl::OkStatus();
}

void HttpServer::StopAccepting() {
  if (!impl_) return;
  net::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
}

void HttpServer::Stop() {
  if (!impl_) return;
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_.reset();
}

}  // namespace mercato::gateway
