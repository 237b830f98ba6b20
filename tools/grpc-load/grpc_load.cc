// grpc-load: a closed-loop gRPC load generator for bench/run's `grpc` row. It keeps
// --concurrency unary calls in flight over --connections HTTP/2 connections for --duration
// seconds and prints throughput and latency as one JSON object.
//
// Requests and answers travel as bytes (grpc::GenericStub): the client never decodes an answer,
// so the figure measures the server. ghz, which decodes every answer through dynamic messages,
// spent 240 us of CPU per 7 KB ListProducts answer against the 34 us the catalog spent making
// it (bench/run prints both), so on two shared cores it measured mostly itself.
//
//   grpc-load --address 127.0.0.1:50051
//     --method /mercato.catalog.v1.CatalogService/ListProducts --request-hex 1814
//     --metadata x-mercato-service-token=eyJ... --concurrency 64 --connections 2 --duration 10
// (one command line; --request-hex 1814 is ListProductsRequest{page_size: 20}).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string address;
  std::string method;
  std::string request;  // serialized request message
  std::vector<std::pair<std::string, std::string>> metadata;
  int concurrency = 64;
  int connections = 2;
  double duration_s = 10;
};

bool ParseFlag(Options& o, const std::string& flag, const std::string& value) {
  if (flag == "--address") return o.address = value, true;
  if (flag == "--method") return o.method = value, true;
  if (flag == "--request-hex") return o.request = absl::HexStringToBytes(value), true;
  if (flag == "--metadata") {
    const auto eq = value.find('=');
    if (eq == std::string::npos) return false;
    o.metadata.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    return true;
  }
  if (flag == "--concurrency") return absl::SimpleAtoi(value, &o.concurrency);
  if (flag == "--connections") return absl::SimpleAtoi(value, &o.connections);
  if (flag == "--duration") return absl::SimpleAtod(value, &o.duration_s);
  return false;
}

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!ParseFlag(o, argv[i], argv[i + 1])) {
      std::fprintf(stderr, "grpc-load: bad flag %s %s\n", argv[i], argv[i + 1]);
      return false;
    }
  }
  return argc % 2 == 1 && !o.address.empty() && !o.method.empty() && o.concurrency > 0 &&
         o.connections > 0 && o.duration_s > 0;
}

class Load {
 public:
  explicit Load(const Options& options) : options_(options) {
    for (int i = 0; i < options.connections; ++i) {
      grpc::ChannelArguments args;
      // A subchannel of its own per channel: one HTTP/2 connection each.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("mercato.grpc_load.connection", i);
      stubs_.push_back(std::make_unique<grpc::GenericStub>(
          grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args)));
    }
  }

  void Run() {
    start_ = Clock::now();
    end_ = start_ + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(options_.duration_s));
    in_flight_ = options_.concurrency;
    for (int slot = 0; slot < options_.concurrency; ++slot) Issue(slot);
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return in_flight_ == 0; });
  }

  nlohmann::json Report() {
    std::lock_guard lock(mu_);
    std::sort(latencies_ms_.begin(), latencies_ms_.end());
    auto pct = [this](double p) {
      if (latencies_ms_.empty()) return 0.0;
      return latencies_ms_[static_cast<size_t>(p * (latencies_ms_.size() - 1))];
    };
    const double elapsed = std::chrono::duration<double>(last_ - start_).count();
    nlohmann::json errors = nlohmann::json::object();
    for (const auto& [code, n] : errors_) errors[std::to_string(code)] = n;
    return {{"count", ok_ + failed_}, {"ok", ok_},
            {"errors", errors},       {"rps", elapsed > 0 ? ok_ / elapsed : 0.0},
            {"p50_ms", pct(0.50)},    {"p99_ms", pct(0.99)}};
  }

 private:
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
    Clock::time_point start;
  };

  void Issue(int slot) {
    if (Clock::now() >= end_) return Finish();
    auto* call = new Call;
    for (const auto& [key, value] : options_.metadata) call->context.AddMetadata(key, value);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(options_.request);
    call->request = grpc::ByteBuffer(&slice, 1);
    call->start = Clock::now();
    stubs_[slot % stubs_.size()]->UnaryCall(&call->context, options_.method, grpc::StubOptions(),
                                            &call->request, &call->response,
                                            [this, call, slot](grpc::Status status) {
                                              Record(call->start, status);
                                              delete call;
                                              Issue(slot);
                                            });
  }

  void Record(Clock::time_point started, const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    std::lock_guard lock(mu_);
    last_ = std::max(last_, now);
    if (!status.ok()) {
      ++failed_;
      ++errors_[status.error_code()];
      return;
    }
    ++ok_;
    latencies_ms_.push_back(std::chrono::duration<double, std::milli>(now - started).count());
  }

  void Finish() {
    std::lock_guard lock(mu_);
    if (--in_flight_ == 0) done_.notify_all();
  }

  const Options& options_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  Clock::time_point start_, end_, last_;
  std::mutex mu_;
  std::condition_variable done_;
  int in_flight_ = 0;
  int64_t ok_ = 0;
  int64_t failed_ = 0;
  std::map<int, int64_t> errors_;
  std::vector<double> latencies_ms_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: grpc-load --address HOST:PORT --method /pkg.Service/Method "
                 "[--request-hex HEX] [--metadata KEY=VALUE]... [--concurrency 64] "
                 "[--connections 2] [--duration 10]\n");
    return 2;
  }
  Load load(options);
  load.Run();
  std::printf("%s\n", load.Report().dump().c_str());
  return 0;
}
