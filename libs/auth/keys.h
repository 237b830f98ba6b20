// ES256 keys (ECDSA over P-256) as PEM text, checked when they are loaded: the private key a
// service signs its tokens with, and the public keys it checks other services' tokens with.
// The text is what libjwt takes; it is never logged or echoed in an error.
//
//   auto signing = mercato::auth::SigningKey::FromPem(pem);     // "EC PRIVATE KEY" or PKCS#8
//   auto verifying = mercato::auth::VerifyingKey::FromPem(pem); // "PUBLIC KEY" or a certificate
//   signing->verifying_key();                                   // its public half
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mercato::auth {

class VerifyingKey {
 public:
  // A "PUBLIC KEY" PEM, or a "CERTIFICATE" PEM whose key is taken (its names, dates and
  // signature are ignored: it is only a container, as Helm's genSelfSignedCertWithKey makes).
  // INVALID_ARGUMENT for anything but a P-256 key.
  static absl::StatusOr<VerifyingKey> FromPem(absl::string_view pem);

  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  const std::string& pem() const { return pem_; }
  bool operator==(const VerifyingKey& other) const { return pem_ == other.pem_; }

 private:
  explicit VerifyingKey(std::string pem) : pem_(std::move(pem)) {}
  friend class SigningKey;
  std::string pem_;
};

class SigningKey {
 public:
  // An unencrypted "EC PRIVATE KEY" (SEC 1) or "PRIVATE KEY" (PKCS#8) PEM of a P-256 key, as
  // `openssl ecparam -name prime256v1 -genkey` or Helm's genPrivateKey "ecdsa" make.
  // INVALID_ARGUMENT for anything else.
  static absl::StatusOr<SigningKey> FromPem(absl::string_view pem);

  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"): the same text whatever form was loaded.
  const std::string& pem() const { return pem_; }
  const VerifyingKey& verifying_key() const { return verifying_key_; }

 private:
  SigningKey(std::string pem, VerifyingKey verifying_key)
      : pem_(std::move(pem)), verifying_key_(std::move(verifying_key)) {}
  std::string pem_;
  VerifyingKey verifying_key_;
};

}  // namespace mercato::auth
