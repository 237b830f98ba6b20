#include "auth/keys.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace mercato::auth {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;

// Never asks for a passphrase (OpenSSL's default would prompt on the terminal): an encrypted
// key simply fails to load.
int NoPassphrase(char*, int, int, void*) { return 0; }

Bio ReadFrom(absl::string_view pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

bool IsP256(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char group[64] = {};
  size_t length = 0;
  return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &length) == 1 &&
         absl::string_view(group, length) == "prime256v1";
}

template <typename Write>
std::string WritePem(Write write) {
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || write(out.get()) != 1) return "";
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

std::string PublicPem(EVP_PKEY* key) {
  return WritePem([key](BIO* out) { return PEM_write_bio_PUBKEY(out, key); });
}

// The key of a PUBLIC KEY PEM, else of a CERTIFICATE PEM; null when neither.
Key ReadPublicKey(absl::string_view pem) {
  Key key(PEM_read_bio_PUBKEY(ReadFrom(pem).get(), nullptr, NoPassphrase, nullptr));
  if (key) return key;
  std::unique_ptr<X509, CertDeleter> cert(
      PEM_read_bio_X509(ReadFrom(pem).get(), nullptr, NoPassphrase, nullptr));
  if (!cert) return nullptr;
  return Key(X509_get_pubkey(cert.get()));
}

}  // namespace

absl::StatusOr<VerifyingKey> VerifyingKey::FromPem(absl::string_view pem) {
  Key key = ReadPublicKey(pem);
  ERR_clear_error();  // the failed attempts leave errors behind
  if (!key || !IsP256(key.get())) {
    return absl::InvalidArgumentError("must be a P-256 public key or certificate in PEM");
  }
  std::string text = PublicPem(key.get());
  if (text.empty()) return absl::InternalError("cannot encode a public key");
  return VerifyingKey(std::move(text));
}

absl::StatusOr<SigningKey> SigningKey::FromPem(absl::string_view pem) {
  Key key(PEM_read_bio_PrivateKey(ReadFrom(pem).get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (!key || !IsP256(key.get())) {
    return absl::InvalidArgumentError("must be an unencrypted P-256 private key in PEM");
  }
  std::string private_pem = WritePem([&key](BIO* out) {
    return PEM_write_bio_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  std::string public_pem = PublicPem(key.get());
  if (private_pem.empty() || public_pem.empty()) return absl::InternalError("cannot encode a key");
  return SigningKey(std::move(private_pem), VerifyingKey(std::move(public_pem)));
}

}  // namespace mercato::auth
