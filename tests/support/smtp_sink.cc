#include "support/smtp_sink.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mercato::testing {
namespace {

// Splits headers from body at the first empty line.
std::pair<std::string, std::string> SplitHeadersAndBody(const std::string& raw) {
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return {raw, ""};
  return {raw.substr(0, end), raw.substr(end + 4)};
}

// Unfolds and splits header lines; names lower case.
std::map<std::string, std::string> ParseHeaders(const std::string& block) {
  std::map<std::string, std::string> headers;
  std::string last;
  for (absl::string_view line : absl::StrSplit(block, "\r\n")) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (!last.empty()) absl::StrAppend(&headers[last], " ", absl::StripAsciiWhitespace(line));
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    last = absl::AsciiStrToLower(line.substr(0, colon));
    headers[last] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return headers;
}

std::string Parameter(const std::string& header, const std::string& name) {
  for (absl::string_view param : absl::StrSplit(header, ';')) {
    param = absl::StripAsciiWhitespace(param);
    if (!absl::StartsWithIgnoreCase(param, name + "=")) continue;
    std::string value(param.substr(name.size() + 1));
    if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return "";
}

std::string DecodeBody(const std::map<std::string, std::string>& headers, const std::string& b) {
  auto it = headers.find("content-transfer-encoding");
  const std::string encoding = it == headers.end() ? "" : absl::AsciiStrToLower(it->second);
  if (encoding == "quoted-printable") return DecodeQuotedPrintable(b);
  if (encoding == "base64") {
    std::string out;
    absl::Base64Unescape(absl::StrReplaceAll(b, {{"\r\n", ""}}), &out);
    return out;
  }
  return b;
}

std::vector<ReceivedPart> ParseParts(const std::string& body, const std::string& boundary) {
  std::vector<ReceivedPart> parts;
  const std::string delimiter = "--" + boundary;
  std::vector<std::string> chunks = absl::StrSplit(body, delimiter);
  // chunks[0]: the preamble; the last one starts with "--" (the close delimiter).
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (absl::StartsWith(chunks[i], "--")) break;
    std::string chunk(absl::StripPrefix(chunks[i], "\r\n"));
    auto [head, content] = SplitHeadersAndBody(chunk);
    ReceivedPart part;
    part.headers = ParseHeaders(head);
    // The CRLF before the next delimiter belongs to the delimiter.
    part.body = DecodeBody(part.headers, std::string(absl::StripSuffix(content, "\r\n")));
    parts.push_back(std::move(part));
  }
  return parts;
}

std::string DecodeWord(absl::string_view encoding, absl::string_view text) {
  std::string out;
  if (absl::EqualsIgnoreCase(encoding, "B")) {
    absl::Base64Unescape(text, &out);
    return out;
  }
  return DecodeQuotedPrintable(absl::StrReplaceAll(text, {{"_", " "}}));
}

std::string SinkPython() {
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

}  // namespace

std::string ReceivedPart::ContentType() const {
  auto it = headers.find("content-type");
  if (it == headers.end()) return "text/plain";
  return absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(absl::string_view(it->second).substr(0, it->second.find(';'))));
}

std::string ReceivedEmail::Header(const std::string& name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

const ReceivedPart* ReceivedEmail::Part(const std::string& content_type) const {
  for (const ReceivedPart& part : parts) {
    if (part.ContentType() == content_type) return &part;
  }
  return nullptr;
}

std::string DecodeQuotedPrintable(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out.push_back(text[i]);
    } else if (text.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;  // soft line break
    } else if (int byte = 0;
               i + 2 < text.size() && absl::SimpleHexAtoi(text.substr(i + 1, 2), &byte)) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back('=');
    }
  }
  return out;
}

std::string DecodeHeaderText(const std::string& value) {
  std::string out;
  size_t pos = 0;
  bool after_word = false;
  while (pos < value.size()) {
    const size_t start = value.find("=?", pos);
    const size_t q1 = start == std::string::npos ? start : value.find('?', start + 2);
    const size_t q2 = q1 == std::string::npos ? q1 : value.find('?', q1 + 1);
    const size_t end = q2 == std::string::npos ? q2 : value.find("?=", q2 + 1);
    std::string between = value.substr(pos, std::min(start, value.size()) - pos);
    if (!(after_word && absl::StripAsciiWhitespace(between).empty() && end != std::string::npos)) {
      out += between;
    }
    if (end == std::string::npos) {
      if (start != std::string::npos) out += value.substr(start);
      break;
    }
    out += DecodeWord(value.substr(q1 + 1, q2 - q1 - 1), value.substr(q2 + 1, end - q2 - 1));
    after_word = true;
    pos = end + 2;
  }
  return out;
}

ReceivedEmail ParseEmail(const std::string& raw) {
  ReceivedEmail email;
  email.raw = raw;
  auto [head, body] = SplitHeadersAndBody(raw);
  email.headers = ParseHeaders(head);
  for (auto& [name, value] : email.headers) value = DecodeHeaderText(value);
  const std::string type = email.Header("content-type");
  if (absl::StartsWithIgnoreCase(type, "multipart/")) {
    email.parts = ParseParts(body, Parameter(type, "boundary"));
  } else {
    ReceivedPart part;
    part.headers = email.headers;
    part.body = DecodeBody(email.headers, body);
    email.parts.push_back(std::move(part));
  }
  return email;
}

absl::StatusOr<std::unique_ptr<SmtpSink>> SmtpSink::Start(const std::string& login) {
  static std::atomic<int> sequence{0};
  std::unique_ptr<SmtpSink> sink(new SmtpSink());
  sink->dir_ = ScratchDir(absl::StrCat("smtp-sink-", getpid(), "-", ++sequence));
  std::filesystem::remove_all(sink->dir_);
  std::filesystem::create_directories(sink->dir_);
  sink->port_ = FreePort();
  sink->login_ = login;
  if (absl::Status s = sink->Restart(); !s.ok()) return s;
  return sink;
}

SmtpSink::~SmtpSink() { Stop(); }

std::string SmtpSink::url() const { return absl::StrCat("smtp://127.0.0.1:", port_); }

void SmtpSink::Stop() {
  if (process_) process_->Kill();
  process_.reset();
}

absl::Status SmtpSink::Restart() {
  Stop();
  std::vector<std::string> args = {SourceDir() + "/tools/smtp-sink/smtp_sink.py", "--port",
                                   std::to_string(port_), "--dir", dir_};
  if (!login_.empty()) args.insert(args.end(), {"--login", login_});
  process_ = std::make_unique<ChildProcess>(SinkPython(), std::map<std::string, std::string>{},
                                            "smtp-sink", std::move(args));
  if (absl::Status s = process_->Start(); !s.ok()) return s;
  if (absl::Status s = WaitForPort(port_, std::chrono::seconds(20)); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the SMTP sink did not start: ", s.message(), "\n", process_->ReadLog()));
  }
  return absl::OkStatus();
}

std::vector<ReceivedEmail> SmtpSink::Messages() const {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".eml")) files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  std::vector<ReceivedEmail> emails;
  for (const std::string& name : files) {
    std::ifstream in(dir_ + "/" + name, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    emails.push_back(ParseEmail(content.str()));
    emails.back().file = name;
  }
  return emails;
}

}  // namespace mercato::testing
