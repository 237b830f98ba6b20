// ES256 keys (libs/auth/keys.h) and the identity configuration read from the environment
// (libs/auth/identity_config.h): what loads, what is refused, and that errors name the
// variable without echoing the key.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <map>

#include "auth/identity_config.h"
#include "auth/keys.h"
#include "support/identity.h"

namespace mercato::auth {
namespace {

using testing::TestKey;

std::string ToPem(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr, const char* pass = nullptr) {
  BIO* out = BIO_new(BIO_s_mem());
  EXPECT_EQ(
      PEM_write_bio_PrivateKey(out, key, cipher, nullptr, 0, nullptr, const_cast<char*>(pass)), 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(out);
  return pem;
}

EVP_PKEY* Load(const SigningKey& key) {
  BIO* in = BIO_new_mem_buf(key.pem().data(), static_cast<int>(key.pem().size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  return pkey;
}

// A self-signed certificate of `key`, as Helm's genSelfSignedCertWithKey makes.
std::string CertificateOf(const SigningKey& key) {
  EVP_PKEY* pkey = Load(key);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, pkey);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mercato-gateway"), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509_sign(cert, pkey, EVP_sha256());
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(out, cert);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(out);
  X509_free(cert);
  EVP_PKEY_free(pkey);
  return pem;
}

TEST(KeysTest, LoadsP256KeysInEveryCommonForm) {
  const SigningKey& key = TestKey("keys-test");
  EXPECT_NE(key.pem().find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(key.verifying_key().pem().find("-----BEGIN PUBLIC KEY-----"), std::string::npos);

  // SEC 1 ("EC PRIVATE KEY", what openssl ecparam and Helm's genPrivateKey write).
  EVP_PKEY* pkey = Load(key);
  BIO* out = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(out, pkey, nullptr, nullptr, 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  const std::string sec1(data, static_cast<size_t>(length));
  BIO_free(out);
  EVP_PKEY_free(pkey);
  ASSERT_NE(sec1.find("-----BEGIN EC PRIVATE KEY-----"), std::string::npos);
  auto from_sec1 = SigningKey::FromPem(sec1);
  ASSERT_TRUE(from_sec1.ok()) << from_sec1.status();
  EXPECT_EQ(from_sec1->pem(), key.pem());
  EXPECT_EQ(from_sec1->verifying_key(), key.verifying_key());

  // The public key as a PEM public key and inside a certificate.
  auto from_public = VerifyingKey::FromPem(key.verifying_key().pem());
  ASSERT_TRUE(from_public.ok()) << from_public.status();
  EXPECT_EQ(*from_public, key.verifying_key());
  auto from_certificate = VerifyingKey::FromPem(CertificateOf(key));
  ASSERT_TRUE(from_certificate.ok()) << from_certificate.status();
  EXPECT_EQ(*from_certificate, key.verifying_key());
}

TEST(KeysTest, RefusesEverythingButUnencryptedP256Keys) {
  EVP_PKEY* p384 = EVP_EC_gen("P-384");
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  EVP_PKEY* p256 = Load(TestKey("keys-test"));
  const std::string refused[] = {
      "",
      "not a key",
      ToPem(p384),
      ToPem(rsa),
      ToPem(p256, EVP_aes_256_cbc(), "passphrase"),  // encrypted: never prompts, refused
      TestKey("keys-test").verifying_key().pem(),    // a public key is not a private key
  };
  for (const std::string& pem : refused) {
    auto key = SigningKey::FromPem(pem);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << pem;
  }
  for (const std::string& pem : {std::string("garbage"), ToPem(p384)}) {
    EXPECT_EQ(VerifyingKey::FromPem(pem).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EVP_PKEY_free(p384);
  EVP_PKEY_free(rsa);
  EVP_PKEY_free(p256);
}

EnvReader EnvOf(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return EnvReader([shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  });
}

TEST(IdentityConfigTest, ReadsTheKeysTheSpecAsksFor) {
  EnvReader env = EnvOf({{"MERCATO_SERVICE_KEY", TestKey("cart").pem()},
                         {"MERCATO_GATEWAY_PUBLIC_KEY", TestKey("gateway").verifying_key().pem()},
                         {"MERCATO_CHECKOUT_PUBLIC_KEY", CertificateOf(TestKey("checkout"))},
                         {"MERCATO_ACCESS_TOKEN_PUBLIC_KEY",
                          TestKey(testing::kAccessTokenKeyName).verifying_key().pem()}});
  IdentityConfig c = ReadIdentityConfig(
      env,
      {.callers = {"gateway", "checkout"}, .calls_others = true, .verifies_access_tokens = true});
  ASSERT_TRUE(env.Finish().ok()) << env.Finish();
  EXPECT_EQ(c.service_key->pem(), TestKey("cart").pem());
  ASSERT_EQ(c.callers.size(), 2u);
  EXPECT_EQ(c.callers.at("gateway"), TestKey("gateway").verifying_key());
  EXPECT_EQ(c.callers.at("checkout"), TestKey("checkout").verifying_key());
  EXPECT_EQ(*c.access_token_key, TestKey(testing::kAccessTokenKeyName).verifying_key());
  EXPECT_EQ(
      env.names_read(),
      (std::vector<std::string>{"MERCATO_SERVICE_KEY", "MERCATO_GATEWAY_PUBLIC_KEY",
                                "MERCATO_CHECKOUT_PUBLIC_KEY", "MERCATO_ACCESS_TOKEN_PUBLIC_KEY"}));
}

TEST(IdentityConfigTest, AMissingOrBadKeyIsReportedByNameNeverByValue) {
  const std::string secret = TestKey("payment").pem();
  // A private key where a public one belongs is refused; and the text never appears.
  EnvReader env = EnvOf({{"MERCATO_SERVICE_KEY", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n"},
                         {"MERCATO_CHECKOUT_PUBLIC_KEY", secret}});
  (void)ReadIdentityConfig(
      env,
      {.callers = {"gateway", "checkout"}, .calls_others = true, .verifies_access_tokens = true});
  const std::string message(env.Finish().message());
  EXPECT_NE(message.find("MERCATO_SERVICE_KEY must be an unencrypted P-256 private key in PEM"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("MERCATO_GATEWAY_PUBLIC_KEY is required but not set"), std::string::npos);
  EXPECT_NE(message.find("MERCATO_CHECKOUT_PUBLIC_KEY must be a P-256 public key"),
            std::string::npos);
  EXPECT_NE(message.find("MERCATO_ACCESS_TOKEN_PUBLIC_KEY is required"), std::string::npos);
  EXPECT_EQ(message.find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(message.find("BEGIN"), std::string::npos);
}

TEST(IdentityConfigTest, PublicKeyVariableNames) {
  EXPECT_EQ(PublicKeyVariable("gateway"), "MERCATO_GATEWAY_PUBLIC_KEY");
  EXPECT_EQ(PublicKeyVariable("checkout"), "MERCATO_CHECKOUT_PUBLIC_KEY");
}

}  // namespace
}  // namespace mercato::auth
