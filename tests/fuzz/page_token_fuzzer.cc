// Fuzz target: the catalog's page_token decoder (services/catalog/page_token.cc), which reads
// a client-supplied token: URL-safe base64 of a JSON document, bound to the filters it was
// issued for. The input is "<category>\n<search text>\n<token>". Checks that whatever decodes
// is a cursor the store may use as typed SQL parameters (a UUID id, a numeric rank), and that
// a cursor re-encoded for the same filters decodes to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/page_token.h"
#include "common/ids.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// The part of `rest` before the first newline (all of it if none); `rest` keeps the remainder.
std::string TakeLine(std::string_view& rest) {
  const size_t nl = rest.find('\n');
  std::string line(rest.substr(0, nl));
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string category = TakeLine(rest);
  const std::string text = TakeLine(rest);
  const std::string token(rest);
  auto cursor = mercato::catalog::DecodePageToken(token, category, text);
  if (!cursor.ok()) {
    Check(cursor.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  Check(mercato::IsUuid(cursor->id));
  if (!text.empty()) {
    Check(!cursor->rank.empty() && cursor->rank.size() <= 32);
    Check(cursor->rank.find_first_not_of("0123456789.e-+") == std::string::npos);
  }
  const std::string again = mercato::catalog::EncodePageToken(*cursor, category, text);
  auto round_trip = mercato::catalog::DecodePageToken(again, category, text);
  Check(round_trip.ok());
  Check(round_trip->id == cursor->id);
  Check(round_trip->name == cursor->name);
  Check(round_trip->rank == cursor->rank);
  return 0;
}
