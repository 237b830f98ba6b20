// Black-box: the gateway's HTTP/1.1 reading over raw sockets (issue 15): bounded memory and
// bytes per request whatever a client sends (endless chunk extensions, trailers, framing),
// request framing per RFC 9112 section 6 (no desync through odd Transfer-Encodings), and
// every protocol error logged and counted. The real gateway binary, its backends absent.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "support/http_client.h"
#include "support/suite.h"
#include "support/suite_test.h"

namespace mercato::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// One TCP connection with raw bytes both ways.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { close(fd_); }

  bool connected() const { return connected_; }
  // False once the peer no longer takes bytes (closed or reset).
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Everything received until the peer closes (closed() is then true) or `timeout` passes.
  std::string ReadUntilClosed(milliseconds timeout) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return out;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }
  bool closed() const { return closed_; }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
};

// Resident memory of a process, in KiB.
long RssKiB(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

// How many "HTTP/1.1 " status lines a byte stream holds: the responses the gateway sent.
int ResponseCount(const std::string& raw) {
  int count = 0;
  for (size_t pos = raw.find("HTTP/1.1 "); pos != std::string::npos;
       pos = raw.find("HTTP/1.1 ", pos + 1)) {
    ++count;
  }
  return count;
}

constexpr char kChunkedPost[] =
    "POST /api/v1/cart/items HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

class GatewayHttpTest : public SuiteTest<GatewayHttpTest> {
 public:
  static SuiteOptions Options() { return {.services = {"gateway"}, .with_dependencies = false}; }

 protected:
  static pid_t pid() { return suite_->process("gateway").pid(); }

  // mercato_gateway_http_protocol_errors_total{reason=...} from the admin port (0 if absent).
  static double ProtocolErrors(const std::string& reason) {
    const std::string text = HttpClient(suite_->admin_port("gateway")).Get("/metrics").body;
    const std::regex line("mercato_gateway_http_protocol_errors_total\\{reason=\"" + reason +
                          "\"\\} ([0-9.e+]+)");
    std::smatch m;
    return std::regex_search(text, m, line) ? std::stod(m[1]) : 0;
  }
  // Polls until the counter reaches `value` (the gateway counts after the socket event).
  static bool ProtocolErrorsReach(const std::string& reason, double value) {
    for (int i = 0; i < 100; ++i) {
      if (ProtocolErrors(reason) >= value) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  // Sends `head` and then `filler` over and over (up to `total` bytes, from another thread)
  // while reading what the gateway answers. Returns the answer; `growth_kib` is the gateway's
  // RSS growth over the whole exchange.
  static std::string Flood(const std::string& head, char filler, size_t total, long* growth_kib) {
    const long before = RssKiB(pid());
    RawConnection conn(port());
    EXPECT_TRUE(conn.connected());
    std::atomic<size_t> sent{0};
    std::thread sender([&] {
      if (!conn.Send(head)) return;
      const std::string block(64 * 1024, filler);
      while (sent < total && conn.Send(block)) sent += block.size();
    });
    std::string answer = conn.ReadUntilClosed(seconds(60));
    sender.join();
    EXPECT_TRUE(conn.closed()) << "the gateway kept the connection open";
    *growth_kib = RssKiB(pid()) - before;
    return answer;
  }
};

constexpr size_t kFloodBytes = 128u << 20;  // 128 MiB
constexpr long kMaxGrowthKiB = 16 * 1024;   // 16 MiB

// Issue 15, defect 1: "1;a=" and then "a" forever, no CRLF.
TEST_F(GatewayHttpTest, EndlessChunkExtensionIs413WithBoundedMemory) {
  const double before = ProtocolErrors("request_too_large");
  long growth = 0;
  std::string answer = Flood(std::string(kChunkedPost) + "1;a=", 'a', kFloodBytes, &growth);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 413")) << answer.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(answer, "\"code\":\"request_too_large\"")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "Connection: close")) << answer;
  EXPECT_LT(growth, kMaxGrowthKiB);
  EXPECT_TRUE(ProtocolErrorsReach("request_too_large", before + 1));
}

TEST_F(GatewayHttpTest, EndlessTrailerIs413WithBoundedMemory) {
  long growth = 0;
  std::string answer =
      Flood(std::string(kChunkedPost) + "2\r\n{}\r\n0\r\nX-Trailer: ", 'b', kFloodBytes, &growth);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 413")) << answer.substr(0, 200);
  EXPECT_LT(growth, kMaxGrowthKiB);
}

TEST_F(GatewayHttpTest, EndlessHeaderIs431WithBoundedMemory) {
  long growth = 0;
  std::string answer =
      Flood("GET /healthz HTTP/1.1\r\nHost: shop\r\nX-Long: ", 'c', kFloodBytes, &growth);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 431")) << answer.substr(0, 200);
  EXPECT_LT(growth, kMaxGrowthKiB);
}

// Each chunk line fits the connection buffer, but together they exceed what one request may
// carry: the bytes per request are capped, not only the buffer.
TEST_F(GatewayHttpTest, ChunkFramingBeyondTheRequestCapIs413) {
  const std::string chunk = "1;e=" + std::string(6000, 'e') + "\r\nx\r\n";
  std::string request = kChunkedPost;
  for (int i = 0; i < 40; ++i) request += chunk;  // 240 KB of framing for 40 body bytes
  request += "0\r\n\r\n";
  RawConnection conn(port());
  ASSERT_TRUE(conn.connected());
  std::thread sender([&] { conn.Send(request); });
  std::string answer = conn.ReadUntilClosed(seconds(30));
  sender.join();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 413")) << answer.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(answer, "\"code\":\"request_too_large\"")) << answer;
  EXPECT_EQ(ResponseCount(answer), 1);
  EXPECT_TRUE(conn.closed());
}

// Issue 15, defect 2: a request whose Transfer-Encoding does not end in chunked has no knowable
// end. Its body carries a second request; the gateway must answer once, 400, and close.
TEST_F(GatewayHttpTest, TransferEncodingNotEndingInChunkedIs400AndCloses) {
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: shop\r\n\r\n";
  const double before = ProtocolErrors("bad_transfer_encoding");
  int refused = 0;
  for (const char* te :
       {"xchunked", "chunked, gzip", "identity", "gzip", "chunked, chunked", "chunked;ext=1", ""}) {
    SCOPED_TRACE(te);
    RawConnection conn(port());
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(conn.Send(absl::StrCat("POST /api/v1/cart/items HTTP/1.1\r\nHost: shop\r\n",
                                       "Transfer-Encoding: ", te, "\r\n\r\n", smuggled)));
    std::string answer = conn.ReadUntilClosed(seconds(20));
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
    EXPECT_TRUE(absl::StrContains(answer, "\"code\":\"bad_transfer_encoding\"")) << answer;
    EXPECT_EQ(ResponseCount(answer), 1) << answer;
    EXPECT_TRUE(conn.closed());
    ++refused;
  }
  EXPECT_TRUE(ProtocolErrorsReach("bad_transfer_encoding", before + refused));
}

TEST_F(GatewayHttpTest, TransferEncodingWithContentLengthIs400AndCloses) {
  for (const char* fields : {"Transfer-Encoding: identity\r\nContent-Length: 2\r\n",
                             "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
                             "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n"}) {
    SCOPED_TRACE(fields);
    RawConnection conn(port());
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(conn.Send(absl::StrCat("POST /api/v1/cart/items HTTP/1.1\r\nHost: shop\r\n", fields,
                                       "\r\n{}GET /healthz HTTP/1.1\r\nHost: shop\r\n\r\n")));
    std::string answer = conn.ReadUntilClosed(seconds(20));
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
    EXPECT_EQ(ResponseCount(answer), 1) << answer;
    EXPECT_TRUE(conn.closed());
  }
}

TEST_F(GatewayHttpTest, OtherCodingsBeforeChunkedAre501AndChunkedInHttp10Is400) {
  RawConnection gzip(port());
  ASSERT_TRUE(gzip.Send(absl::StrCat("POST /api/v1/cart/items HTTP/1.1\r\nHost: shop\r\n",
                                     "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")));
  std::string answer = gzip.ReadUntilClosed(seconds(20));
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 501")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "\"code\":\"unsupported_transfer_encoding\"")) << answer;
  EXPECT_TRUE(gzip.closed());

  RawConnection old(port());
  ASSERT_TRUE(old.Send(absl::StrCat("POST /api/v1/cart/items HTTP/1.0\r\nHost: shop\r\n",
                                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")));
  answer = old.ReadUntilClosed(seconds(20));
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
  EXPECT_TRUE(old.closed());
}

// A trailer would be merged into the header by the parser, past whatever proxy vetted it.
TEST_F(GatewayHttpTest, RequestTrailerFieldsAre400) {
  RawConnection conn(port());
  ASSERT_TRUE(
      conn.Send(std::string(kChunkedPost) + "2\r\n{}\r\n0\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n"));
  std::string answer = conn.ReadUntilClosed(seconds(20));
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
  EXPECT_TRUE(conn.closed());
}

// Chunked bodies the gateway does accept reach the route (which then validates the JSON).
TEST_F(GatewayHttpTest, ChunkedBodyInAnyCaseReachesTheRoute) {
  for (const char* te : {"chunked", "Chunked", " CHUNKED "}) {
    SCOPED_TRACE(te);
    RawConnection conn(port());
    ASSERT_TRUE(conn.Send(
        absl::StrCat("POST /api/v1/cart/items HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n",
                     "Transfer-Encoding:", te, "\r\n\r\n", "4;name=value\r\n{\"qu\r\n",
                     "A\r\nantity\":1}\r\n", "0\r\n\r\n")));
    std::string answer = conn.ReadUntilClosed(seconds(20));
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
    // The route read the body: it names the missing product_id, not a framing problem.
    EXPECT_TRUE(absl::StrContains(answer, "\"code\":\"invalid_product_id\"")) << answer;
  }
}

TEST_F(GatewayHttpTest, ProtocolErrorsAreLoggedWithoutRequestContentAndCounted) {
  const double before = ProtocolErrors("aborted");
  {
    RawConnection conn(port());
    ASSERT_TRUE(
        conn.Send("POST /api/v1/sessions HTTP/1.1\r\nHost: shop\r\nContent-Length: 100"
                  "\r\n\r\n{\"password\":\"hunter2-secret"));
  }  // closed in the middle of the body
  EXPECT_TRUE(ProtocolErrorsReach("aborted", before + 1));
  const double malformed = ProtocolErrors("bad_request");
  RawConnection conn(port());
  ASSERT_TRUE(conn.Send("GET /healthz HTTP/1.1\r\nHost: shop\r\nBad Header: hunter3\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(conn.ReadUntilClosed(seconds(20)), "HTTP/1.1 400"));
  EXPECT_TRUE(ProtocolErrorsReach("bad_request", malformed + 1));

  const std::string log = suite_->process("gateway").ReadLog();
  EXPECT_TRUE(absl::StrContains(log, "HTTP protocol error from 127.0.0.1: 0 aborted")) << log;
  EXPECT_TRUE(absl::StrContains(log, "HTTP protocol error from 127.0.0.1: 400 bad_request"));
  EXPECT_FALSE(absl::StrContains(log, "hunter2"));
  EXPECT_FALSE(absl::StrContains(log, "hunter3"));
  EXPECT_FALSE(absl::StrContains(log, "aaaaaaaa"));  // the flood tests' bytes
  EXPECT_EQ(HttpClient(port()).Get("/healthz").status, 200);
}

// A request still incomplete when the idle timeout fires is a counted timeout; an idle
// keep-alive connection closing is not.
// The gateway runs on tcmalloc (services/gateway/CMakeLists.txt): its start-up check found
// malloc served by tcmalloc, so the link order did not let glibc's malloc win.
TEST_F(GatewayHttpTest, AllocationsAreServedByTcmalloc) {
  const std::string log = suite_->process("gateway").ReadLog();
  EXPECT_TRUE(absl::StrContains(log, "memory allocator: tcmalloc gperftools 2.")) << log;
  EXPECT_FALSE(absl::StrContains(log, "malloc is not served by it")) << log;
}

TEST(GatewayHttpTimeoutTest, IncompleteRequestTimesOutAndIsCounted) {
  auto suite = Suite::Start({.services = {"gateway"},
                             .with_dependencies = false,
                             .env = {{"gateway", {{"MERCATO_IDLE_TIMEOUT_MS", "1000"}}}}});
  ASSERT_TRUE(suite.ok()) << suite.status();
  const int port = (*suite)->port("gateway");
  RawConnection idle(port);
  RawConnection slow(port);
  ASSERT_TRUE(slow.Send("GET /healthz HTTP/1.1\r\nHost: sh"));
  EXPECT_EQ(slow.ReadUntilClosed(seconds(20)), "");
  EXPECT_TRUE(slow.closed());
  EXPECT_EQ(idle.ReadUntilClosed(seconds(20)), "");
  EXPECT_TRUE(idle.closed());
  // The count follows the close on the gateway's side: wait for it (a bounded poll).
  const std::string expected = "mercato_gateway_http_protocol_errors_total{reason=\"timeout\"} 1";
  std::string metrics;
  for (int i = 0; i < 100 && !absl::StrContains(metrics, expected); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    metrics = HttpClient((*suite)->admin_port("gateway")).Get("/metrics").body;
  }
  EXPECT_TRUE(absl::StrContains(metrics, expected)) << metrics;
}

// Health checks the gateway has started towards its backends (its own client metrics).
double HealthChecksStarted(int admin_port) {
  const std::string text = HttpClient(admin_port).Get("/metrics").body;
  const std::regex line(
      "grpc_client_started_total\\{[^}]*grpc_service=\"grpc\\.health\\.v1\\."
      "Health\"[^}]*\\} ([0-9.e+]+)");
  double sum = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it) {
    sum += std::stod((*it)[1]);
  }
  return sum;
}

// Issue 15, item 14: /readyz is public and asks all four backends. Concurrent probes share
// one round of checks for the cache period (here a minute, so the count is exact).
TEST(GatewayReadyzTest, ConcurrentProbesShareOneRoundOfBackendChecks) {
  auto suite = Suite::Start({.services = {"gateway"},
                             .with_dependencies = false,
                             .env = {{"gateway", {{"MERCATO_READYZ_CACHE_MS", "60000"}}}}});
  ASSERT_TRUE(suite.ok()) << suite.status();
  const int port = (*suite)->port("gateway");
  const int admin = (*suite)->admin_port("gateway");
  const double before = HealthChecksStarted(admin);
  std::vector<std::thread> probes;
  std::atomic<int> not_ready{0};
  for (int i = 0; i < 20; ++i) {
    probes.emplace_back([&] {
      HttpResult r = HttpClient(port).Get("/readyz");
      if (r.status == 503 && r.json["backends"]["catalog"] == "UNAVAILABLE") ++not_ready;
    });
  }
  for (auto& t : probes) t.join();
  EXPECT_EQ(not_ready, 20);  // the backends are absent: every probe says so
  EXPECT_EQ(HealthChecksStarted(admin) - before, 4);  // catalog, cart, user, checkout: once
}

}  // namespace
}  // namespace mercato::testing
