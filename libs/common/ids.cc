#include "common/ids.h"

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/random/random.h"

namespace mercato {
namespace {

void EnsureSodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) std::abort();  // no CSPRNG: nothing safe can be done
    return true;
  }();
  (void)ready;
}

// `bytes` bytes from `fill` (which writes n bytes at a pointer), as lower-case hex.
template <typename Fill>
std::string HexOfRandom(size_t bytes, Fill fill) {
  std::vector<unsigned char> raw(bytes);
  fill(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

}  // namespace

std::string RandomHex(size_t bytes) {
  EnsureSodium();
  return HexOfRandom(bytes, [](unsigned char* out, size_t n) { randombytes_buf(out, n); });
}

namespace {

// Canonical 8-4-4-4-12 text of 16 bytes, stamped as a version 4, RFC 4122 variant UUID.
std::string FormatUuid(unsigned char b[16]) {
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  // The groups are 4, 2, 2, 2 and 6 bytes, each hex-encoded in place.
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

// Correlation bytes from this thread's generator (seeded from the OS once per thread).
void CorrelationBytes(unsigned char* out, size_t n) {
  thread_local absl::BitGen gen;
  for (size_t i = 0; i < n; i += sizeof(uint64_t)) {
    const uint64_t r = absl::Uniform<uint64_t>(gen);
    std::memcpy(out + i, &r, std::min(sizeof r, n - i));
  }
}

}  // namespace

std::string NewUuid() {
  EnsureSodium();
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  return FormatUuid(b);
}

std::string NewRequestId() {
  unsigned char b[16];
  CorrelationBytes(b, sizeof b);
  return FormatUuid(b);
}

std::string CorrelationHex(size_t bytes) { return HexOfRandom(bytes, &CorrelationBytes); }

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
