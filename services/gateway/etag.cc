#include "gateway/etag.h"

// Header-only use: nothing to link, and the hash inlines into BodyEtag.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mercato::gateway {

std::string BodyEtag(std::string_view body) {
  return absl::StrFormat("\"%016x\"", XXH3_64bits(body.data(), body.size()));
}

bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag) {
  absl::string_view wanted(etag.data(), etag.size());
  absl::ConsumePrefix(&wanted, "W/");
  for (absl::string_view candidate :
       absl::StrSplit(absl::string_view(if_none_match.data(), if_none_match.size()), ',')) {
    candidate = absl::StripAsciiWhitespace(candidate);
    if (candidate == "*") return true;
    absl::ConsumePrefix(&candidate, "W/");
    if (!candidate.empty() && candidate == wanted) return true;
  }
  return false;
}

}  // namespace mercato::gateway
