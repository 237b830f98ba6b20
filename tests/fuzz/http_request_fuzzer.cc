// Fuzz target: the bytes one client sends on one connection, read the way the gateway's HTTP
// server reads them (RequestReader with the gateway's default limits, the per-connection
// buffer limit, pipelined requests), delivered in pieces of a size the input chooses.
// Checks, besides the sanitizers: the buffer never outgrows its limit, and every request
// accepted is well framed (at most the body limit, a Transfer-Encoding only if it is exactly
// chunked, never with Content-Length).
#include <boost/beast/core/flat_buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/http_request_reader.h"
#include "support/byte_stream.h"

namespace {

using mercato::gateway::RequestLimits;
using mercato::gateway::RequestReader;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckAccepted(const mercato::gateway::HttpRequest& request, const RequestLimits& limits) {
  Check(request.body.size() <= limits.max_body_bytes);
  Check(request.path.empty() || request.path.front() == '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks how many bytes each socket read delivers (0: all at once).
  const size_t piece = data[0] % 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const RequestLimits limits;  // the gateway's defaults (GatewayConfig)
  mercato::testing::ByteStream stream(bytes, piece);
  boost::beast::flat_buffer buffer(mercato::gateway::ConnectionBufferLimit(limits));
  for (int requests = 0; requests < 64; ++requests) {
    RequestReader reader(limits);
    const RequestReader::State state = mercato::gateway::ReadRequest(stream, buffer, reader);
    Check(buffer.size() <= mercato::gateway::ConnectionBufferLimit(limits));
    if (state == RequestReader::State::kFailed) {
      const unsigned status = reader.failure().status;
      Check(status == 0 || status == 400 || status == 413 || status == 431 || status == 501);
      Check(!reader.failure().reason.empty());
    }
    if (state != RequestReader::State::kDone) break;
    Check(!mercato::gateway::CheckFraming(reader.parser().get().base()).has_value());
    mercato::gateway::HttpRequest request;
    if (mercato::gateway::ToHttpRequest(reader.Release(), request)) break;  // answered 400
    CheckAccepted(request, limits);
  }
  return 0;
}
