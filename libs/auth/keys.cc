#include "auth/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace mercato::auth {

struct ParsedPublicKey {
  explicit ParsedPublicKey(EVP_PKEY* k) : key(k) {}
  ~ParsedPublicKey() { EVP_PKEY_free(key); }
  ParsedPublicKey(const ParsedPublicKey&) = delete;
  ParsedPublicKey& operator=(const ParsedPublicKey&) = delete;
  EVP_PKEY* key;
};

namespace {

constexpr size_t kEs256CoordinateBytes = 32;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct SignatureDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct DigestDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct OpenSslDeleter {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
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

// The key of a PUBLIC KEY PEM, else of a CERTIFICATE PEM; null when neither.
Key ReadPublicKey(absl::string_view pem) {
  Key key(PEM_read_bio_PUBKEY(ReadFrom(pem).get(), nullptr, NoPassphrase, nullptr));
  if (key) return key;
  std::unique_ptr<X509, CertDeleter> cert(
      PEM_read_bio_X509(ReadFrom(pem).get(), nullptr, NoPassphrase, nullptr));
  if (!cert) return nullptr;
  return Key(X509_get_pubkey(cert.get()));
}

// The DER ECDSA-Sig-Value OpenSSL verifies, from JWS's r || s; empty for a bad length.
std::string DerSignature(absl::string_view raw) {
  if (raw.size() != 2 * kEs256CoordinateBytes) return "";
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, SignatureDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, kEs256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kEs256CoordinateBytes, kEs256CoordinateBytes, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return "";
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  std::unique_ptr<unsigned char, OpenSslDeleter> owned(der);
  if (length <= 0) return "";
  return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
}

}  // namespace

absl::StatusOr<VerifyingKey> VerifyingKey::FromParsed(std::shared_ptr<const ParsedPublicKey> key) {
  std::string text = WritePem([&key](BIO* out) { return PEM_write_bio_PUBKEY(out, key->key); });
  if (text.empty()) return absl::InternalError("cannot encode a public key");
  return VerifyingKey(std::move(text), std::move(key));
}

absl::StatusOr<VerifyingKey> VerifyingKey::FromPem(absl::string_view pem) {
  Key key = ReadPublicKey(pem);
  ERR_clear_error();  // the failed attempts leave errors behind
  if (!key || !IsP256(key.get())) {
    return absl::InvalidArgumentError("must be a P-256 public key or certificate in PEM");
  }
  return FromParsed(std::make_shared<const ParsedPublicKey>(key.release()));
}

bool VerifyingKey::VerifiesEs256(absl::string_view data, absl::string_view signature) const {
  const std::string der = DerSignature(signature);
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx(EVP_MD_CTX_new());
  const bool ok =
      !der.empty() && ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->key) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();
  return ok;
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
  const std::string public_pem =
      WritePem([&key](BIO* out) { return PEM_write_bio_PUBKEY(out, key.get()); });
  if (private_pem.empty() || public_pem.empty()) return absl::InternalError("cannot encode a key");
  // The public half on its own (no private key material in the verifier).
  auto verifying = VerifyingKey::FromPem(public_pem);
  if (!verifying.ok()) return verifying.status();
  return SigningKey(std::move(private_pem), *std::move(verifying));
}

}  // namespace mercato::auth
