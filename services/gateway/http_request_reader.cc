#include "gateway/http_request_reader.h"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/url/parse.hpp>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mercato::gateway {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;

// Room beyond the header limit, so that Beast reports an oversized header as header_limit
// (431) before the buffer overflows.
constexpr size_t kBufferSlack = 1024;

ProtocolFailure Failure(unsigned status, std::string_view reason, std::string message) {
  return ProtocolFailure{status, std::string(reason), std::move(message)};
}

// The codings of every Transfer-Encoding field, lower-cased, in order; empty list elements
// are skipped (RFC 9110 section 5.6.1).
std::vector<std::string> TransferCodings(const http::request_header<>& header) {
  std::vector<std::string> codings;
  auto [begin, end] = header.equal_range(http::field::transfer_encoding);
  for (auto it = begin; it != end; ++it) {
    const absl::string_view value(it->value().data(), it->value().size());
    for (absl::string_view element : absl::StrSplit(value, ',')) {
      element = absl::StripAsciiWhitespace(element);
      if (!element.empty()) codings.push_back(absl::AsciiStrToLower(element));
    }
  }
  return codings;
}

// Decoded URL parts end up in protobuf `string` fields, which must be UTF-8. nlohmann's strict
// serializer is the validator: it throws on invalid UTF-8.
bool IsValidUtf8(const std::string& text) {
  // Plain ASCII (nearly every request) is valid UTF-8; only other text goes to the validator.
  if (std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; })) return true;
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

size_t FieldCount(const http::fields& fields) {
  return static_cast<size_t>(std::distance(fields.begin(), fields.end()));
}

bool IsSocketClosed(beast::error_code ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe;
}

}  // namespace

size_t ConnectionBufferLimit(const RequestLimits& limits) {
  return limits.max_header_bytes + kBufferSlack;
}

RequestReader::RequestReader(const RequestLimits& limits)
    : connection_limit_(ConnectionBufferLimit(limits)) {
  parser_.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser_.body_limit(limits.max_body_bytes);
}

size_t RequestReader::BufferLimit(size_t buffered) const {
  if (!parser_.is_header_done() || !parser_.chunked()) return connection_limit_;
  // At least what is buffered: Beast's read_size assumes max_size() >= size().
  return std::min(connection_limit_, std::max(buffered, kMaxChunkLineBytes));
}

RequestReader::State RequestReader::OnRead(beast::error_code ec, size_t bytes) {
  bytes_ += bytes;
  if (ec) return OnError(ec);
  if (!parser_.is_header_done()) return State::kMore;
  if (!framing_checked_) {
    // Beast returns from the read that completes the header before it takes body bytes.
    framing_checked_ = true;
    header_bytes_ = bytes_;
    header_fields_ = FieldCount(parser_.get().base());
    if (auto failure = CheckFraming(parser_.get().base())) {
      failure_ = *std::move(failure);
      return State::kFailed;
    }
  }
  // Neither header nor body: chunk sizes, extensions, CRLFs, the trailer.
  if (bytes_ - header_bytes_ - parser_.get().body().size() > kMaxChunkFramingBytes) {
    return Fail(413, "request_too_large",
                absl::StrCat("the request carries more than ", kMaxChunkFramingBytes,
                             " bytes of chunk framing"));
  }
  if (!parser_.is_done()) return State::kMore;
  // Beast appends trailer fields to the header. A proxy in front vets headers, not trailers,
  // so one could bring an X-Forwarded-For or Authorization of its own: refused.
  if (FieldCount(parser_.get().base()) != header_fields_) {
    return Fail(400, "bad_request", "request trailer fields are not accepted");
  }
  return State::kDone;
}

RequestReader::State RequestReader::OnError(beast::error_code ec) {
  if (ec == net::error::operation_aborted) return State::kClosed;  // the server is stopping
  // A connection that goes away, or stays silent, between requests is no failure.
  const bool started = parser_.got_some();
  if (ec == beast::error::timeout) {
    if (!started) return State::kClosed;
    return Fail(0, "timeout", "the request did not arrive within the idle timeout");
  }
  if (IsSocketClosed(ec)) {
    if (!started) return State::kClosed;
    return Fail(0, "aborted", "the client closed the connection in the middle of a request");
  }
  if (ec == http::error::header_limit) {
    return Fail(431, "headers_too_large", "request headers are too large");
  }
  if (ec == http::error::body_limit) {
    return Fail(413, "body_too_large", "request body is too large");
  }
  if (ec == http::error::buffer_overflow) {
    // The unparsed part outgrew the connection buffer: a header, chunk size line (with its
    // extensions) or trailer that does not end.
    if (!parser_.is_header_done()) {
      return Fail(431, "headers_too_large", "request headers are too large");
    }
    return Fail(413, "request_too_large", "a chunk size line or trailer is too long");
  }
  if (ec == http::error::bad_transfer_encoding) {
    return Fail(400, "bad_transfer_encoding", "Transfer-Encoding is invalid for a request");
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return Fail(400, "bad_request", "malformed HTTP request");
  }
  // Any other socket error.
  if (!started) return State::kClosed;
  return Fail(0, "aborted", "the connection failed in the middle of a request");
}

RequestReader::State RequestReader::Fail(unsigned status, std::string_view reason,
                                         std::string message) {
  failure_ = Failure(status, reason, std::move(message));
  return State::kFailed;
}

std::optional<ProtocolFailure> CheckFraming(const http::request_header<>& header) {
  if (header.count(http::field::transfer_encoding) == 0) return std::nullopt;
  const auto bad = [](std::string message) {
    return Failure(400, "bad_transfer_encoding", std::move(message));
  };
  if (header.version() < 11) return bad("Transfer-Encoding is not allowed in HTTP/1.0");
  if (header.count(http::field::content_length) > 0) {
    return bad("Transfer-Encoding and Content-Length must not be sent together");
  }
  const std::vector<std::string> codings = TransferCodings(header);
  if (codings.empty() || codings.back() != "chunked") {
    return bad("the final transfer coding of a request must be chunked");
  }
  for (size_t i = 0; i + 1 < codings.size(); ++i) {
    if (codings[i] == "chunked") return bad("chunked must be applied only once");
  }
  if (codings.size() > 1) {
    return Failure(501, "unsupported_transfer_encoding",
                   "chunked is the only transfer coding accepted");
  }
  return std::nullopt;
}

std::optional<ProtocolFailure> ParseTarget(std::string_view target, HttpRequest& request) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return Failure(400, "bad_request", "malformed request target");
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
  if (!utf8) return Failure(400, "bad_request", "the request path or query is not valid UTF-8");
  return std::nullopt;
}

std::optional<ProtocolFailure> ToHttpRequest(http::request<http::string_body>&& raw,
                                             HttpRequest& request) {
  request.method = raw.method();
  const std::string_view target(raw.target().data(), raw.target().size());
  if (auto failure = ParseTarget(target, request)) return failure;
  request.body = std::move(raw.body());
  request.headers = std::move(static_cast<http::fields&>(raw.base()));
  return std::nullopt;
}

}  // namespace mercato::gateway
