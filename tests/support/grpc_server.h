// A gRPC server of fakes on a free port of 127.0.0.1, and a plaintext channel to it:
//
//   FakeCatalog catalog;
//   LocalServer server({&catalog});
//   ASSERT_TRUE(server.ok());
//   auto stub = catalog::v1::CatalogService::NewStub(server.Channel());
#pragma once

#include <grpcpp/grpcpp.h>

#include <initializer_list>
#include <memory>
#include <string>

namespace mercato::testing {

class LocalServer {
 public:
  explicit LocalServer(std::initializer_list<grpc::Service*> services) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    for (grpc::Service* service : services) builder.RegisterService(service);
    server_ = builder.BuildAndStart();
  }

  bool ok() const { return server_ != nullptr && port_ > 0; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }
  grpc::Server& server() { return *server_; }
  void Shutdown() { server_->Shutdown(); }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace mercato::testing
