#include "rpc/interceptors.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/call_context.h"
#include "common/logging.h"

namespace mercato {
namespace {

using grpc::experimental::InterceptionHookPoints;
using Clock = std::chrono::steady_clock;

// "/mercato.catalog.v1.CatalogService/ListProducts" -> {"mercato.catalog.v1.CatalogService",
// "ListProducts"}.
std::pair<std::string, std::string> SplitMethod(const char* full) {
  std::string s = full ? full : "";
  if (!s.empty() && s[0] == '/') s.erase(0, 1);
  auto slash = s.find('/');
  if (slash == std::string::npos) return {"unknown", s};
  return {s.substr(0, slash), s.substr(slash + 1)};
}

// The metric families for one side (server or client) and per-method children, created
// once per method and then reused without a label lookup.
class RpcMetrics {
 public:
  struct Method {
    std::string service;
    std::string method;
    prometheus::Counter* started;
    prometheus::Histogram* latency;
    // grpc_server_handled_total children by status code, created on first use.
    std::array<std::atomic<prometheus::Counter*>, 17> handled{};
  };

  RpcMetrics(Metrics& metrics, const std::string& side)
      : started_(prometheus::BuildCounter()
                     .Name("grpc_" + side + "_started_total")
                     .Help("RPCs started")
                     .Register(metrics.registry())),
        handled_(prometheus::BuildCounter()
                     .Name("grpc_" + side + "_handled_total")
                     .Help("RPCs completed, by status code")
                     .Register(metrics.registry())),
        latency_(prometheus::BuildHistogram()
                     .Name("grpc_" + side + "_handling_seconds")
                     .Help("RPC latency until the status is sent or received")
                     .Register(metrics.registry())) {}

  const Method* Lookup(const char* full_method) {
    absl::MutexLock lock(&mu_);
    std::string key = full_method ? full_method : "";
    auto it = methods_.find(key);
    if (it != methods_.end()) return &it->second;
    auto [service, method] = SplitMethod(full_method);
    prometheus::Labels labels{{"grpc_service", service}, {"grpc_method", method}};
    Method& m = methods_.try_emplace(key).first->second;
    m.service = service;
    m.method = method;
    m.started = &started_.Add(labels);
    m.latency = &latency_.Add(labels, LatencyBuckets());
    return &m;
  }

  void Done(const Method& m, grpc::StatusCode code, Clock::duration elapsed) {
    const size_t index = static_cast<size_t>(code) < m.handled.size() ? code : 2;  // UNKNOWN
    auto& slot = const_cast<Method&>(m).handled[index];
    prometheus::Counter* counter = slot.load(std::memory_order_acquire);
    if (counter == nullptr) {
      // Family::Add returns the same child for the same labels, so a race here is harmless.
      counter = &handled_.Add({{"grpc_service", m.service},
                               {"grpc_method", m.method},
                               {"grpc_code", GrpcCodeName(static_cast<grpc::StatusCode>(index))}});
      slot.store(counter, std::memory_order_release);
    }
    counter->Increment();
    m.latency->Observe(std::chrono::duration<double>(elapsed).count());
  }

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& latency_;
  absl::Mutex mu_;
  // Node-based: the Method pointers Lookup hands out stay valid.
  std::unordered_map<std::string, Method> methods_ ABSL_GUARDED_BY(mu_);
};

class ServerInterceptor final : public grpc::experimental::Interceptor {
 public:
  ServerInterceptor(RpcMetrics& metrics, const RpcMetrics::Method* method)
      : metrics_(metrics), method_(method), start_(Clock::now()) {
    method_->started->Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_.Done(*method_, methods->GetSendStatus().error_code(), Clock::now() - start_);
    }
    methods->Proceed();
  }

 private:
  RpcMetrics& metrics_;
  const RpcMetrics::Method* method_;
  Clock::time_point start_;
};

class ServerFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ServerFactory(Metrics& metrics) : metrics_(metrics, "server") {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ServerInterceptor(metrics_, metrics_.Lookup(info->method()));
  }

 private:
  RpcMetrics metrics_;
};

class ClientInterceptor final : public grpc::experimental::Interceptor {
 public:
  ClientInterceptor(RpcMetrics& metrics, const RpcMetrics::Method* method)
      : metrics_(metrics), method_(method), start_(Clock::now()) {
    method_->started->Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
      metrics_.Done(*method_, methods->GetRecvStatus()->error_code(), Clock::now() - start_);
    }
    methods->Proceed();
  }

 private:
  RpcMetrics& metrics_;
  const RpcMetrics::Method* method_;
  Clock::time_point start_;
};

class ClientFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ClientFactory(Metrics& metrics) : metrics_(metrics, "client") {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new ClientInterceptor(metrics_, metrics_.Lookup(info->method()));
  }

 private:
  RpcMetrics metrics_;
};

class ServiceTokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  ServiceTokenInterceptor(auth::ServiceTokenMinter& minter, const std::string& audience)
      : minter_(minter), audience_(audience) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto token = minter_.TokenFor(audience_, std::chrono::system_clock::now());
      if (token.ok()) {
        methods->GetSendInitialMetadata()->emplace(kServiceTokenKey, *std::move(token));
      } else {
        spdlog::error("cannot mint a service token for {}: {}", audience_, token.status());
      }
    }
    methods->Proceed();
  }

 private:
  auth::ServiceTokenMinter& minter_;
  const std::string& audience_;
};

class ServiceTokenFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  ServiceTokenFactory(std::shared_ptr<auth::ServiceTokenMinter> minter, std::string audience)
      : minter_(std::move(minter)), audience_(std::move(audience)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new ServiceTokenInterceptor(*minter_, audience_);
  }

 private:
  std::shared_ptr<auth::ServiceTokenMinter> minter_;
  std::string audience_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerMetricsInterceptorFactory(Metrics& metrics) {
  return std::make_unique<ServerFactory>(metrics);
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewClientMetricsInterceptorFactory(Metrics& metrics) {
  return std::make_unique<ClientFactory>(metrics);
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewServiceTokenInterceptorFactory(std::shared_ptr<auth::ServiceTokenMinter> minter,
                                  std::string audience) {
  return std::make_unique<ServiceTokenFactory>(std::move(minter), std::move(audience));
}

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNKNOWN";
  }
}

}  // namespace mercato
