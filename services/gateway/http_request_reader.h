// Reading one HTTP/1.1 request off a connection: Boost.Beast's parser with the gateway's
// limits, plus the framing rules Beast leaves to its user (RFC 9112 section 6). The HTTP
// server and the fuzz target (tests/fuzz/) share it, so what is fuzzed is what runs.
//
//   beast::flat_buffer buffer(ConnectionBufferLimit(limits));  // one per connection
//   RequestReader reader(limits);                               // one per request
//   // per read_some(stream, buffer, reader.parser()) that took n bytes and ended with ec:
//   switch (reader.OnRead(ec, n)) { ... }  // kMore: read again; kDone: ToHttpRequest(
//                                          // reader.Release(), request); kFailed: answer
//                                          // reader.failure(); kClosed: close quietly
//
// Memory per connection is bounded by the buffer limit: Beast keeps an unfinished header, chunk
// size line (with its extensions) or trailer in the buffer, and a line longer than the buffer
// fails the read. Bytes per request are bounded too: the header and body limits, plus
// kMaxChunkFramingBytes for all else the parser takes. Request trailer fields are refused (Beast
// would merge them into the header, past whatever vetted the header in front of the gateway).
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http_types.h"

namespace mercato::gateway {

struct RequestLimits {
  // The request line and header fields, else 431.
  size_t max_header_bytes = 8 * 1024;
  // The body after chunked decoding, else 413.
  size_t max_body_bytes = 1024 * 1024;
};

// Chunk framing one request may carry besides its body (chunk sizes, extensions, CRLFs and
// the trailer), else 413: generous for any client that sends chunks of 100 bytes or more. So
// one request is at most max_header_bytes + max_body_bytes + this on the wire.
inline constexpr size_t kMaxChunkFramingBytes = 64 * 1024;

// What one connection may hold unparsed: a full header block and a little more, so that an
// oversized header fails as such (431). Chunk size lines and trailers must fit in it too.
size_t ConnectionBufferLimit(const RequestLimits& limits);

// The longest unfinished chunk size line (with its extensions) or last-chunk-and-trailer
// section a chunked request may leave unparsed, else 413. Beast scans the unfinished part
// again whenever bytes arrive (the last chunk's line until the trailer section ends), so this
// bounds what a client trickling it byte by byte costs: kMaxChunkLineBytes squared.
inline constexpr size_t kMaxChunkLineBytes = 1024;

// Why a request could not be read. `reason` is a small fixed set, used as the error code of
// the response, the log line and the metric label: bad_request, bad_transfer_encoding,
// unsupported_transfer_encoding, headers_too_large, body_too_large, request_too_large,
// aborted, timeout.
struct ProtocolFailure {
  // 400, 413, 431 or 501; 0 when nobody is left to answer (aborted, timeout).
  unsigned status = 400;
  std::string reason;
  // For the client; never holds request bytes.
  std::string message;
};

class RequestReader {
 public:
  using Parser = http::request_parser<http::string_body>;
  enum class State {
    kMore,    // read again
    kDone,    // a complete, well-framed request: Release() it
    kClosed,  // the peer went away (or idled out) between requests: close quietly
    kFailed,  // failure() says why; answer it (unless status 0) and close
  };

  explicit RequestReader(const RequestLimits& limits);

  Parser& parser() { return parser_; }
  // The connection buffer's max_size for the next read, given what it holds: the connection
  // limit, but in a chunked body no more than kMaxChunkLineBytes beyond what the parser will
  // take first (a longer unfinished line fails the read with buffer_overflow: 413).
  size_t BufferLimit(size_t buffered) const;
  // Accounts for one read_some that made the parser take `bytes` and ended with `ec`.
  State OnRead(boost::beast::error_code ec, size_t bytes);
  const ProtocolFailure& failure() const { return failure_; }
  http::request<http::string_body> Release() { return parser_.release(); }

 private:
  State OnError(boost::beast::error_code ec);
  State Fail(unsigned status, std::string_view reason, std::string message);

  Parser parser_;
  size_t connection_limit_;
  size_t bytes_ = 0;  // taken by the parser so far
  size_t header_bytes_ = 0;
  bool framing_checked_ = false;
  size_t header_fields_ = 0;
  ProtocolFailure failure_;
};

// Reads one request from a synchronous stream: what the server does asynchronously, for
// tests and the fuzz target.
template <class SyncReadStream, class DynamicBuffer>
RequestReader::State ReadRequest(SyncReadStream& stream, DynamicBuffer& buffer,
                                 RequestReader& reader) {
  RequestReader::State state;
  do {
    boost::beast::error_code ec;
    buffer.max_size(reader.BufferLimit(buffer.size()));
    const size_t bytes = http::read_some(stream, buffer, reader.parser(), ec);
    state = reader.OnRead(ec, bytes);
  } while (state == RequestReader::State::kMore);
  return state;
}

// The framing of a request whose header is complete: nullopt when it is acceptable. A
// Transfer-Encoding must end in chunked (else the body's end is unknown and the rest of the
// connection would be read as further requests), must not come with Content-Length nor in
// HTTP/1.0, and chunked is the only coding the gateway decodes (others: 501).
std::optional<ProtocolFailure> CheckFraming(const http::request_header<>& header);

// Method, decoded path segments and query (UTF-8 checked), headers and body of a request
// that RequestReader read completely; keep-alive is the caller's to take first.
std::optional<ProtocolFailure> ToHttpRequest(http::request<http::string_body>&& raw,
                                             HttpRequest& request);
// The path and query of an origin-form request target ("/a/b?x=1&y") into `request`.
std::optional<ProtocolFailure> ParseTarget(std::string_view target, HttpRequest& request);

}  // namespace mercato::gateway
