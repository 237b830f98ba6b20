// A googletest fixture whose tests share one Suite (support/suite.h): started once before the
// first test of the fixture with Derived::Options(), stopped after the last.
//
//   class CartTest : public SuiteTest<CartTest> {
//    public:
//     static SuiteOptions Options() { return {.services = {"gateway"}, .database_prefix = "cart"};
//     }
//   };
//   TEST_F(CartTest, Adds) { HttpClient http(port()); ... suite_->Kill("cart"); ... }
//
// A fixture that needs more set up defines its own SetUpTestSuite, calls SuiteTest's first and
// returns when suite_ is null (the suite did not start; the failure is already recorded).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "support/suite.h"

namespace mercato::testing {

template <typename Derived>
class SuiteTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    auto suite = Suite::Start(Derived::Options());
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = suite->release();
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

 protected:
  // The main port of `service` (HTTP for the gateway, else gRPC).
  static int port(const std::string& service = "gateway") { return suite_->port(service); }

  static inline Suite* suite_ = nullptr;
};

}  // namespace mercato::testing
