// ES256 keys (ECDSA over P-256) as PEM text, checked when they are loaded: the private key a
// service signs its tokens with (the text is what libjwt signs with), and the public keys it
// checks other services' tokens with (parsed once, for OpenSSL's ECDSA verification). Key text
// is never logged or echoed in an error.
//
//   auto signing = mercato::auth::SigningKey::FromPem(pem);     // "EC PRIVATE KEY" or PKCS#8
//   auto verifying = mercato::auth::VerifyingKey::FromPem(pem); // "PUBLIC KEY" or a certificate
//   signing->verifying_key();                                   // its public half
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mercato::auth {

// OpenSSL's key object, parsed once (keys.cc).
struct ParsedPublicKey;

class VerifyingKey {
 public:
  // A "PUBLIC KEY" PEM, or a "CERTIFICATE" PEM whose key is taken (its names, dates and
  // signature are ignored: it is only a container, as Helm's genSelfSignedCertWithKey makes).
  // INVALID_ARGUMENT for anything but a P-256 key.
  static absl::StatusOr<VerifyingKey> FromPem(absl::string_view pem);

  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  const std::string& pem() const { return pem_; }
  bool operator==(const VerifyingKey& other) const { return pem_ == other.pem_; }

  // Whether `signature` (r || s, 32 bytes each, as JWS writes ES256 signatures) is an ECDSA
  // P-256 / SHA-256 signature of `data` by the private half of this key. Thread-safe.
  bool VerifiesEs256(absl::string_view data, absl::string_view signature) const;

 private:
  VerifyingKey(std::string pem, std::shared_ptr<const ParsedPublicKey> key)
      : pem_(std::move(pem)), key_(std::move(key)) {}
  // Encodes the PEM of an already parsed P-256 key.
  static absl::StatusOr<VerifyingKey> FromParsed(std::shared_ptr<const ParsedPublicKey> key);
  friend class SigningKey;
  std::string pem_;
  std::shared_ptr<const ParsedPublicKey> key_;
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
