#include "common/ids.h"

#include <sodium.h>

#include <cstdlib>
#include <vector>

namespace mercato {
namespace {

void EnsureSodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) std::abort();  // no CSPRNG: nothing safe can be done
    return true;
  }();
  (void)ready;
}

}  // namespace

std::string RandomHex(size_t bytes) {
  EnsureSodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

std::string NewUuid() {
  EnsureSodium();
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  // 8-4-4-4-12 hex digits: the groups are 4, 2, 2, 2 and 6 bytes, each hex-encoded in place.
  std::string uuid(36, '-');
  char hex[13];
  size_t out = 0;
  size_t in = 0;
  for (size_t group_bytes : {4, 2, 2, 2, 6}) {
    sodium_bin2hex(hex, sizeof hex, b + in, group_bytes);
    uuid.replace(out, group_bytes * 2, hex, group_bytes * 2);
    in += group_bytes;
    out += group_bytes * 2 + 1;
  }
  return uuid;
}

std::string RandomToken(size_t bytes) {
  EnsureSodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  const size_t len = sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

bool IsUuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace mercato
