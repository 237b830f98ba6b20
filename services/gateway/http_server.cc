#include "gateway/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace mercato::gateway {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// After an error response the client may still be sending (a body, an endless chunk line).
// Closing with unread input makes the kernel send a reset, which can destroy the response
// before the client reads it; so input is read and dropped for this long first.
constexpr std::chrono::seconds kLingerAfterError{1};
constexpr size_t kLingerBufferBytes = 4096;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, RequestHandler& handler)
      : stream_(std::move(socket)),
        options_(options),
        handler_(handler),
        limits_{.max_header_bytes = options.max_header_bytes,
                .max_body_bytes = options.max_body_bytes},
        buffer_(ConnectionBufferLimit(limits_)) {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) client_address_ = endpoint.address().to_string();
  }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  // The idle timeout bounds the whole request, not each read: a client trickling bytes
  // cannot hold the connection longer.
  void Read() {
    reader_.emplace(limits_);
    stream_.expires_after(options_.idle_timeout);
    ReadSome();
  }

  void ReadSome() {
    buffer_.max_size(reader_->BufferLimit(buffer_.size()));
    http::async_read_some(stream_, buffer_, reader_->parser(),
                          beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t bytes) {
    switch (reader_->OnRead(ec, bytes)) {
      case RequestReader::State::kMore:
        return ReadSome();
      case RequestReader::State::kClosed:
        return Close();
      case RequestReader::State::kFailed:
        return Fail(reader_->failure());
      case RequestReader::State::kDone:
        return Dispatch();
    }
  }

  void Dispatch() {
    auto raw = reader_->Release();
    reader_.reset();
    keep_alive_ = raw.keep_alive();
    version_ = raw.version();
    HttpRequest request;
    if (auto failure = ToHttpRequest(std::move(raw), request)) return Fail(*failure);
    request.client_address = client_address_;

    // The handler bounds its own time; the socket timeout applies to reads and writes.
    stream_.expires_never();
    auto self = shared_from_this();
    // dispatch, not post: an answer produced on this session's strand (a cache hit, a 4xx) is
    // written at once instead of queued behind other connections; one from a gRPC thread is
    // handed to the strand.
    handler_.Handle(std::move(request), [self](HttpResponse response) {
      net::dispatch(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response), /*close=*/false);
      });
    });
  }

  void Fail(const ProtocolFailure& failure) {
    HttpResponse response = handler_.ProtocolError(failure, client_address_);
    if (failure.status == 0) return Close();
    version_ = 11;
    lingering_close_ = true;
    Write(std::move(response), /*close=*/true);
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
    serializer_.emplace(response_);
    WriteSome(keep_alive);
  }

  // Beast serializes the message; its buffers (header fields and body) are copied into one
  // flat list of buffers and sent with a single gather write, which costs a fraction of
  // http::async_write's layered buffer views for the same bytes.
  void WriteSome(bool keep_alive) {
    beast::error_code ec;
    write_buffers_.clear();
    serializer_->next(ec, [this](beast::error_code&, const auto& buffers) {
      for (net::const_buffer b : beast::buffers_range_ref(buffers)) write_buffers_.push_back(b);
    });
    if (ec) return Close();
    net::async_write(stream_, write_buffers_,
                     beast::bind_front_handler(&Session::OnWrite, shared_from_this(), keep_alive));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t bytes) {
    if (ec) return Close();
    serializer_->consume(bytes);
    if (!serializer_->is_done()) return WriteSome(keep_alive);
    serializer_.reset();
    if (!keep_alive) return lingering_close_ ? Linger() : Close();
    Read();
  }

  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerAfterError);
    linger_buffer_ = std::make_unique<char[]>(kLingerBufferBytes);
    Discard();
  }

  void Discard() {
    stream_.async_read_some(net::buffer(linger_buffer_.get(), kLingerBufferBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->Close();
                              self->Discard();
                            });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  const HttpServerOptions& options_;
  RequestHandler& handler_;
  const RequestLimits limits_;
  beast::flat_buffer buffer_;
  std::optional<RequestReader> reader_;
  http::response<http::string_body> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
  std::vector<net::const_buffer> write_buffers_;
  std::string client_address_;
  bool keep_alive_ = false;
  bool lingering_close_ = false;
  unsigned version_ = 11;
  std::unique_ptr<char[]> linger_buffer_;
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(int threads) : ioc(threads), acceptor(net::make_strand(ioc)) {}

  void Accept(const HttpServerOptions& options, RequestHandler& handler) {
    acceptor.async_accept(net::make_strand(ioc), [this, &options, &handler](beast::error_code ec,
                                                                            tcp::socket socket) {
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
