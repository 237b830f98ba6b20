#include "notification/mime_message.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mercato::notification {
namespace {

constexpr size_t kMaxQpLine = 76;
// Bytes of UTF-8 text per encoded word: 39 bytes -> 52 base64 characters, so that a word
// with its =?UTF-8?B? ?= (and "Subject: " before the first) fits in a 78-character line.
constexpr size_t kEncodedWordBytes = 39;

bool IsPlainAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string StripLineBreaks(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

// Splits UTF-8 text into chunks of at most `max` bytes, never inside a character.
std::vector<absl::string_view> Utf8Chunks(absl::string_view text, size_t max) {
  std::vector<absl::string_view> chunks;
  while (!text.empty()) {
    size_t n = std::min(max, text.size());
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min(max, text.size());
    chunks.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return chunks;
}

// One line's characters, quoted-printable, each as it would be written.
std::vector<std::string> QpTokens(absl::string_view line) {
  std::vector<std::string> tokens;
  for (size_t i = 0; i < line.size(); ++i) {
    const unsigned char c = line[i];
    const bool last = i + 1 == line.size();
    const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
    tokens.push_back(literal ? std::string(1, c) : absl::StrFormat("=%02X", c));
  }
  return tokens;
}

void AppendQpLine(absl::string_view line, std::string& out) {
  size_t width = 0;
  for (const std::string& token : QpTokens(line)) {
    // Room for the token and a soft break's "=".
    if (width + token.size() > kMaxQpLine - 1) {
      out.append("=\r\n");
      width = 0;
    }
    out.append(token);
    width += token.size();
  }
  out.append("\r\n");
}

void AppendPart(std::string& out, absl::string_view boundary, absl::string_view type,
                absl::string_view body) {
  absl::StrAppend(&out, "--", boundary, "\r\n", "Content-Type: ", type, "; charset=utf-8\r\n",
                  "Content-Transfer-Encoding: quoted-printable\r\n\r\n", QuotedPrintable(body));
}

}  // namespace

std::string MessageIdFor(absl::string_view event_id, absl::string_view from) {
  const size_t at = from.rfind('@');
  absl::string_view domain = at == absl::string_view::npos ? "mercato.local" : from.substr(at + 1);
  return absl::StrCat("<", event_id, "@", domain, ">");
}

std::string EncodeHeaderText(absl::string_view text) {
  const std::string clean = StripLineBreaks(text);
  if (IsPlainAscii(clean)) return clean;
  std::vector<std::string> words;
  for (absl::string_view chunk : Utf8Chunks(clean, kEncodedWordBytes)) {
    words.push_back(absl::StrCat("=?UTF-8?B?", absl::Base64Escape(chunk), "?="));
  }
  // Folded: whitespace between encoded words is not displayed.
  return absl::StrJoin(words, "\r\n ");
}

std::string QuotedPrintable(absl::string_view text) {
  std::string out;
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  // A final '\n' ends the last line rather than starting an empty one.
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (absl::string_view line : lines) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    AppendQpLine(line, out);
  }
  return out;
}

std::string BoundaryFor(absl::string_view message_id) {
  std::string id;
  for (char c : message_id.substr(0, message_id.find('@'))) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-') id.push_back(c);
  }
  return absl::StrCat("=_mercato_", id);
}

std::string BuildMessage(const MessageHeaders& headers, const RenderedEmail& body) {
  const std::string boundary = BoundaryFor(headers.message_id);
  std::string out;
  absl::StrAppend(
      &out, "From: Mercato <", StripLineBreaks(headers.from), ">\r\n", "To: <",
      StripLineBreaks(headers.to), ">\r\n", "Subject: ", EncodeHeaderText(headers.subject), "\r\n",
      "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", headers.date, absl::UTCTimeZone()),
      "\r\n", "Message-ID: ", StripLineBreaks(headers.message_id), "\r\n", "MIME-Version: 1.0\r\n",
      "Content-Type: multipart/alternative;\r\n boundary=\"", boundary, "\"\r\n\r\n");
  AppendPart(out, boundary, "text/plain", body.text);
  AppendPart(out, boundary, "text/html", body.html);
  absl::StrAppend(&out, "--", boundary, "--\r\n");
  return out;
}

}  // namespace mercato::notification
