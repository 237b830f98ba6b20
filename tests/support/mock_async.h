// gMock stubs (the generated Mock*Stub) for code that calls through the gRPC callback API:
// grpc's generated mocks only mock the blocking methods, and their async() is null. Each
// WithAsync stub adds an async() whose methods call the mocked blocking method and then the
// callback, at once and on the calling thread, so a test sets expectations as for blocking
// code and has the answer when the call returns.
//
//   auto stub = std::make_unique<NiceMock<testing::UserStubWithAsync>>();
//   EXPECT_CALL(*stub, Login(_, _, _)).WillOnce(Return(grpc::Status::OK));
//   // code under test: CallUnaryAsync(stub->async(), &UserAsync::Login, ...)
#pragma once

#include <cstdlib>
#include <functional>

#include "mercato/cart/v1/cart_mock.grpc.pb.h"
#include "mercato/user/v1/user_mock.grpc.pb.h"

// One method of an async_interface, forwarded to the blocking mock `blocking_`. The reactor
// form is not used by Mercato.
#define MERCATO_FORWARD_ASYNC(Method, Request, Response)                                  \
  void Method(grpc::ClientContext* ctx, const Request* request, Response* response,       \
              std::function<void(grpc::Status)> done) override {                          \
    done(blocking_->Method(ctx, *request, response));                                     \
  }                                                                                       \
  void Method(grpc::ClientContext*, const Request*, Response*, grpc::ClientUnaryReactor*) \
      override {                                                                          \
    std::abort();                                                                         \
  }

namespace mercato::testing {

class UserStubWithAsync : public user::v1::MockUserServiceStub {
 public:
  async_interface* async() override { return &async_; }

 private:
  class Async final : public async_interface {
   public:
    explicit Async(user::v1::MockUserServiceStub* blocking) : blocking_(blocking) {}
    MERCATO_FORWARD_ASYNC(Register, user::v1::RegisterRequest, user::v1::User)
    MERCATO_FORWARD_ASYNC(Login, user::v1::LoginRequest, user::v1::Session)
    MERCATO_FORWARD_ASYNC(RefreshSession, user::v1::RefreshSessionRequest, user::v1::Session)
    MERCATO_FORWARD_ASYNC(Logout, user::v1::LogoutRequest, user::v1::LogoutResponse)
    MERCATO_FORWARD_ASYNC(GetMe, user::v1::GetMeRequest, user::v1::User)
    MERCATO_FORWARD_ASYNC(UpdateMe, user::v1::UpdateMeRequest, user::v1::User)
    MERCATO_FORWARD_ASYNC(ListAddresses, user::v1::ListAddressesRequest,
                          user::v1::ListAddressesResponse)
    MERCATO_FORWARD_ASYNC(CreateAddress, user::v1::CreateAddressRequest, common::v1::Address)
    MERCATO_FORWARD_ASYNC(GetAddress, user::v1::GetAddressRequest, common::v1::Address)
    MERCATO_FORWARD_ASYNC(UpdateAddress, user::v1::UpdateAddressRequest, common::v1::Address)
    MERCATO_FORWARD_ASYNC(DeleteAddress, user::v1::DeleteAddressRequest,
                          user::v1::DeleteAddressResponse)
    MERCATO_FORWARD_ASYNC(GetContact, user::v1::GetContactRequest, user::v1::Contact)

   private:
    user::v1::MockUserServiceStub* blocking_;
  } async_{this};
};

class CartStubWithAsync : public cart::v1::MockCartServiceStub {
 public:
  async_interface* async() override { return &async_; }

 private:
  class Async final : public async_interface {
   public:
    explicit Async(cart::v1::MockCartServiceStub* blocking) : blocking_(blocking) {}
    MERCATO_FORWARD_ASYNC(GetCart, cart::v1::GetCartRequest, cart::v1::Cart)
    MERCATO_FORWARD_ASYNC(AddItem, cart::v1::AddItemRequest, cart::v1::Cart)
    MERCATO_FORWARD_ASYNC(UpdateItem, cart::v1::UpdateItemRequest, cart::v1::Cart)
    MERCATO_FORWARD_ASYNC(RemoveItem, cart::v1::RemoveItemRequest, cart::v1::Cart)
    MERCATO_FORWARD_ASYNC(ClearCart, cart::v1::ClearCartRequest, cart::v1::Cart)
    MERCATO_FORWARD_ASYNC(MergeGuestCart, cart::v1::MergeGuestCartRequest, cart::v1::Cart)

   private:
    cart::v1::MockCartServiceStub* blocking_;
  } async_{this};
};

}  // namespace mercato::testing

#undef MERCATO_FORWARD_ASYNC
