// Unit tests of the gateway's RequestReader (limits, framing) driven from memory, the way the
// server drives it from a socket.
#include "gateway/http_request_reader.h"

#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>

#include "support/byte_stream.h"

namespace mercato::gateway {
namespace {

using State = RequestReader::State;
using testing::ByteStream;

constexpr RequestLimits kLimits{.max_header_bytes = 1024, .max_body_bytes = 4096};

struct Outcome {
  State state;
  ProtocolFailure failure;
  std::string body;
};

Outcome Read(const std::string& bytes, size_t piece = 0) {
  ByteStream stream(bytes, piece);
  boost::beast::flat_buffer buffer(ConnectionBufferLimit(kLimits));
  RequestReader reader(kLimits);
  Outcome out{ReadRequest(stream, buffer, reader), reader.failure(), ""};
  if (out.state == State::kDone) out.body = reader.Release().body();
  return out;
}

std::string Post(const std::string& fields, const std::string& body) {
  return "POST /api/v1/cart/items HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n" + body;
}

TEST(RequestReaderTest, ChunkedBodyIsDecodedInAnyPieces) {
  const std::string request =
      Post("Transfer-Encoding: chunked\r\n", "3;a=b\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  for (size_t piece : {0, 1, 2, 7}) {
    Outcome out = Read(request, piece);
    EXPECT_EQ(out.state, State::kDone) << piece << " " << out.failure.reason;
    EXPECT_EQ(out.body, "abcde");
  }
}

TEST(RequestReaderTest, EndlessChunkExtensionOverflowsTheBufferAs413) {
  Outcome out = Read(Post("Transfer-Encoding: chunked\r\n", "1;a=" + std::string(1 << 20, 'a')));
  EXPECT_EQ(out.state, State::kFailed);
  EXPECT_EQ(out.failure.status, 413u);
  EXPECT_EQ(out.failure.reason, "request_too_large");
}

TEST(RequestReaderTest, EndlessTrailerOverflowsTheBufferAs413) {
  Outcome out =
      Read(Post("Transfer-Encoding: chunked\r\n", "0\r\nX-T: " + std::string(1 << 20, 't')), 100);
  EXPECT_EQ(out.failure.status, 413u);
  EXPECT_EQ(out.failure.reason, "request_too_large");
}

// Beast rescans the last chunk's line each time a byte of the trailer section arrives: the
// unfinished rest of a chunked request is capped at kMaxChunkLineBytes so that this stays
// small (a fuzz input trickling a 4 KiB extension took seconds before the cap).
TEST(RequestReaderTest, LastChunkLineAndTrailerBeyondTheLineCapAre413ByteByByte) {
  const std::string tail = "0;e=" + std::string(kMaxChunkLineBytes, 'e') + "\r\nX-T: t";
  Outcome out = Read(Post("Transfer-Encoding: chunked\r\n", "1\r\nx\r\n" + tail), 1);
  EXPECT_EQ(out.state, State::kFailed);
  EXPECT_EQ(out.failure.status, 413u);
  EXPECT_EQ(out.failure.reason, "request_too_large");
}

TEST(RequestReaderTest, ChunkLinesWithinTheLineCapAreAcceptedByteByByte) {
  const std::string line = "1;e=" + std::string(kMaxChunkLineBytes - 16, 'e') + "\r\n";
  const std::string body =
      line + "x\r\n" + "0;f=" + std::string(kMaxChunkLineBytes - 16, 'f') + "\r\n\r\n";
  for (size_t piece : {0, 1, 3}) {
    Outcome out = Read(Post("Transfer-Encoding: chunked\r\n", body), piece);
    EXPECT_EQ(out.state, State::kDone) << piece << " " << out.failure.reason;
    EXPECT_EQ(out.body, "x");
  }
}

// A chunked body still arrives in reads of any size once its lines are parsed.
TEST(RequestReaderTest, LargeChunksAreReadWhole) {
  const std::string data(3000, 'd');
  Outcome out = Read(Post("Transfer-Encoding: chunked\r\n", "bb8\r\n" + data + "\r\n0\r\n\r\n"));
  EXPECT_EQ(out.state, State::kDone) << out.failure.reason;
  EXPECT_EQ(out.body, data);
}

TEST(RequestReaderTest, FramingBeyondTheRequestCapIs413) {
  std::string body;
  const std::string chunk = "1;e=" + std::string(900, 'e') + "\r\nx\r\n";
  while (body.size() < kMaxChunkFramingBytes + 8192) body += chunk;
  Outcome out = Read(Post("Transfer-Encoding: chunked\r\n", body + "0\r\n\r\n"));
  EXPECT_EQ(out.failure.status, 413u);
  EXPECT_EQ(out.failure.reason, "request_too_large");
}

TEST(RequestReaderTest, OversizeHeaderIs431AndBodyIs413) {
  EXPECT_EQ(Read(Post("X-Big: " + std::string(2000, 'h') + "\r\n", "")).failure.status, 431u);
  EXPECT_EQ(Read(Post("X-Big: " + std::string(1 << 20, 'h'), ""), 512).failure.status, 431u);
  EXPECT_EQ(Read(Post("Content-Length: 5000\r\n", "")).failure.reason, "body_too_large");
  Outcome chunked = Read(Post("Transfer-Encoding: chunked\r\n", "1001\r\n"));
  EXPECT_EQ(chunked.failure.reason, "body_too_large");
}

TEST(RequestReaderTest, TransferEncodingMustEndInChunked) {
  for (const char* te : {"xchunked", "chunked, gzip", "identity", "gzip", "chunked, chunked",
                         "chunked;a=1", "", ","}) {
    Outcome out =
        Read(Post(std::string("Transfer-Encoding: ") + te + "\r\n", "GET / HTTP/1.1\r\n\r\n"));
    EXPECT_EQ(out.state, State::kFailed) << te;
    EXPECT_EQ(out.failure.status, 400u) << te;
    EXPECT_EQ(out.failure.reason, "bad_transfer_encoding") << te;
  }
  Outcome split = Read(Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", ""));
  EXPECT_EQ(split.failure.reason, "bad_transfer_encoding");
}

TEST(RequestReaderTest, TransferEncodingWithContentLengthOrInHttp10Is400) {
  for (const char* fields : {"Transfer-Encoding: identity\r\nContent-Length: 1\r\n",
                             "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n",
                             "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n"}) {
    EXPECT_EQ(Read(Post(fields, "x")).failure.status, 400u) << fields;
  }
  Outcome old = Read("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(old.failure.reason, "bad_transfer_encoding");
}

TEST(RequestReaderTest, OtherCodingsBeforeChunkedAre501) {
  Outcome out = Read(Post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"));
  EXPECT_EQ(out.failure.status, 501u);
  EXPECT_EQ(out.failure.reason, "unsupported_transfer_encoding");
}

TEST(RequestReaderTest, ChunkedIsCaseInsensitiveAndEmptyListElementsAreSkipped) {
  for (const char* te : {"Chunked", "CHUNKED", " , chunked"}) {
    EXPECT_EQ(Read(Post(std::string("Transfer-Encoding: ") + te + "\r\n", "0\r\n\r\n")).state,
              State::kDone)
        << te;
  }
}

TEST(RequestReaderTest, TrailerFieldsAreRefused) {
  Outcome out =
      Read(Post("Transfer-Encoding: chunked\r\n", "1\r\nx\r\n0\r\nAuthorization: x\r\n\r\n"));
  EXPECT_EQ(out.failure.status, 400u);
  EXPECT_EQ(out.failure.reason, "bad_request");
}

TEST(RequestReaderTest, EndOfInputMidRequestIsAbortedAndBetweenRequestsIsClosed) {
  Outcome mid = Read(Post("Content-Length: 10\r\n", "abc"));
  EXPECT_EQ(mid.state, State::kFailed);
  EXPECT_EQ(mid.failure.status, 0u);
  EXPECT_EQ(mid.failure.reason, "aborted");
  EXPECT_EQ(Read("").state, State::kClosed);
}

TEST(RequestReaderTest, MalformedRequestIs400) {
  Outcome out = Read("GARBAGE\r\n\r\n");
  EXPECT_EQ(out.failure.status, 400u);
  EXPECT_EQ(out.failure.reason, "bad_request");
}

TEST(RequestReaderTest, PipelinedRequestsAreReadOneAtATime) {
  ByteStream stream("GET /a HTTP/1.1\r\n\r\nGET /b?x=%C3%A9 HTTP/1.1\r\n\r\n", 5);
  boost::beast::flat_buffer buffer(ConnectionBufferLimit(kLimits));
  std::vector<std::string> paths;
  for (int i = 0; i < 2; ++i) {
    RequestReader reader(kLimits);
    ASSERT_EQ(ReadRequest(stream, buffer, reader), State::kDone);
    HttpRequest request;
    ASSERT_EQ(ToHttpRequest(reader.Release(), request), std::nullopt);
    paths.push_back(request.path);
    if (i == 1) EXPECT_EQ(request.Query("x"), "\xC3\xA9");
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b"}));
}

TEST(RequestReaderTest, TargetMustBeOriginFormAndUtf8) {
  HttpRequest request;
  EXPECT_EQ(ParseTarget("http://x/a", request)->reason, "bad_request");
  HttpRequest latin1;
  EXPECT_EQ(ParseTarget("/a?q=%E9", latin1)->status, 400u);
  HttpRequest ok;
  ASSERT_EQ(ParseTarget("/api/v1/products/a%2Fb?q=cast+iron&x", ok), std::nullopt);
  EXPECT_EQ(ok.segments, (std::vector<std::string>{"api", "v1", "products", "a/b"}));
  EXPECT_EQ(ok.Query("q"), "cast iron");
  EXPECT_EQ(ok.Query("x"), "");
}

}  // namespace
}  // namespace mercato::gateway
