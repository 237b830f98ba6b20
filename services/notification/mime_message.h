// The RFC 5322 message of one email: headers, and a multipart/alternative body with the
// plain-text part first and the HTML part second (mail readers show the last one they can),
// both UTF-8 in quoted-printable, lines ending in CRLF.
//
//   std::string message = BuildMessage({.from = "orders@mercato.local", .to = email,
//                                       .subject = rendered.subject,
//                                       .message_id = MessageIdFor(event_id, from),
//                                       .date = absl::Now()},
//                                      rendered);
//
// The Message-ID derives from the event id, so that the same event can never make two
// different emails, and a recipient's mail system recognises a copy as one.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "notification/email_templates.h"

namespace mercato::notification {

struct MessageHeaders {
  std::string from;        // bare address
  std::string to;          // bare address
  std::string subject;     // UTF-8, encoded here when not plain ASCII
  std::string message_id;  // "<...@...>"
  absl::Time date;
};

// "<event_id@domain of from>".
std::string MessageIdFor(absl::string_view event_id, absl::string_view from);

// The text as a header value: unchanged when printable ASCII, else one or more RFC 2047
// encoded words (=?UTF-8?B?...?=). CR and LF never survive.
std::string EncodeHeaderText(absl::string_view text);

// RFC 2045 quoted-printable of UTF-8 text with '\n' line ends: CRLF line ends, lines of at
// most 76 characters (soft breaks "=" CRLF).
std::string QuotedPrintable(absl::string_view text);

// The boundary of the message's parts; contains "=_", which quoted-printable never produces.
std::string BoundaryFor(absl::string_view message_id);

std::string BuildMessage(const MessageHeaders& headers, const RenderedEmail& body);

}  // namespace mercato::notification
