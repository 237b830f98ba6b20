// Test support: a small synchronous HTTP/1.1 client (Boost.Beast) for black-box tests of the
// gateway.
//
//   HttpClient client(gateway_port);
//   HttpResult r = client.Get("/api/v1/products?page_size=5");
//   EXPECT_EQ(r.status, 200);
//   EXPECT_EQ(r.json["products"].size(), 5);
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mercato::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // Parsed body when it is JSON, else discarded.
  nlohmann::json json;

  std::string Header(const std::string& name) const;
};

class HttpClient {
 public:
  explicit HttpClient(int port, std::string host = "127.0.0.1");

  HttpResult Get(const std::string& target,
                 const std::map<std::string, std::string>& headers = {}) const;
  HttpResult Send(const std::string& method, const std::string& target, const std::string& body,
                  const std::map<std::string, std::string>& headers = {}) const;
  HttpResult Post(const std::string& target, const nlohmann::json& body,
                  const std::map<std::string, std::string>& headers = {}) const;
  // Sends raw bytes and returns the raw response (for malformed-request tests).
  std::string SendRaw(const std::string& bytes) const;

  int port() const { return port_; }

 private:
  int port_;
  std::string host_;
};

}  // namespace mercato::testing
