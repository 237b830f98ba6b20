#include "catalog/page_token.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "common/ids.h"

namespace mercato::catalog {
namespace {

constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

// A short fingerprint of the filters, so a token cannot be replayed against other filters.
std::string Fingerprint(const std::string& category, const std::string& text) {
  const std::string input = category + '\x1f' + text;
  unsigned char digest[8];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

absl::Status Invalid() { return absl::InvalidArgumentError("invalid page_token"); }

}  // namespace

std::string EncodePageToken(const ProductCursor& cursor, const std::string& category,
                            const std::string& text) {
  nlohmann::json doc = {{"v", 1}, {"f", Fingerprint(category, text)}, {"i", cursor.id}};
  if (text.empty()) {
    doc["n"] = cursor.name;
  } else {
    doc["r"] = cursor.rank;
  }
  const std::string raw = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), kVariant);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

absl::StatusOr<ProductCursor> DecodePageToken(const std::string& token, const std::string& category,
                                              const std::string& text) {
  if (token.size() > 2048) return Invalid();
  std::string raw(token.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), token.data(),
                        token.size(), nullptr, &len, nullptr, kVariant) != 0) {
    return Invalid();
  }
  raw.resize(len);
  nlohmann::json doc = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  // No typed reads before the types are checked: json::value("v", 0) throws when "v" is a
  // string (tests/fuzz/page_token_fuzzer found it), and "v": 1.5 would read as 1.
  if (!doc.is_object() || !doc.contains("v") || doc["v"] != 1 || !doc.contains("f") ||
      !doc["f"].is_string() || !doc.contains("i") || !doc["i"].is_string()) {
    return Invalid();
  }
  if (doc["f"].get<std::string>() != Fingerprint(category, text)) {
    return absl::InvalidArgumentError("page_token was issued for different filters");
  }
  ProductCursor cursor;
  cursor.id = doc["i"].get<std::string>();
  const char* key = text.empty() ? "n" : "r";
  if (!doc.contains(key) || !doc[key].is_string()) return Invalid();
  (text.empty() ? cursor.name : cursor.rank) = doc[key].get<std::string>();
  // The id and rank go into SQL as typed parameters; check their form here so a forged
  // token is a 400, not a database error.
  if (!IsUuid(cursor.id)) return Invalid();
  if (!text.empty()) {
    if (cursor.rank.empty() || cursor.rank.size() > 32 ||
        cursor.rank.find_first_not_of("0123456789.e-+") != std::string::npos) {
      return Invalid();
    }
  }
  return cursor;
}

}  // namespace mercato::catalog
