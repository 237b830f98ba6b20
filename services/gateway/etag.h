#pragma once
// Entity tags of the gateway's answers (RFC 9110 section 8.8.3) and If-None-Match.

#include <string>
#include <string_view>

namespace mercato::gateway {

// A strong ETag of a body: its 64-bit XXH3 hash (xxHash, seed 0) in hex, quoted. The same on
// every replica and every run, so a client's tag stays valid across gateways.
std::string BodyEtag(std::string_view body);

// Whether an If-None-Match header value ("*", or a list of possibly weak tags) matches `etag`
// by the weak comparison If-None-Match uses.
bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag);

}  // namespace mercato::gateway
