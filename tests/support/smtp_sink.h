// Test support: the SMTP sink of tools/smtp-sink (aiosmtpd) on a free port of 127.0.0.1,
// writing into a directory of the test's own, and the messages it received, parsed. Each test
// reads its own sink.
//
//   auto sink = SmtpSink::Start();
//   ASSERT_TRUE(sink.ok()) << sink.status();
//   ... MERCATO_SMTP_URL = (*sink)->url() ...
//   std::vector<ReceivedEmail> mail = (*sink)->Messages();   // in the order received
//   EXPECT_EQ(mail[0].Header("subject"), "Your Mercato order 1a2b3c4d… is on its way");
//   EXPECT_EQ(mail[0].Part("text/plain")->body, "...");
//   (*sink)->Stop(); ... (*sink)->Restart();   // the server down, then back on its port
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "support/process.h"

namespace mercato::testing {

struct ReceivedPart {
  std::map<std::string, std::string> headers;  // names lower case, values unfolded
  std::string body;                            // transfer encoding undone, CRLF kept
  std::string ContentType() const;             // "text/plain" (no parameters), lower case
};

struct ReceivedEmail {
  std::string file;  // name in the sink's directory
  std::string raw;
  std::map<std::string, std::string> headers;  // names lower case, values unfolded, RFC 2047
                                               // encoded words decoded
  std::vector<ReceivedPart> parts;             // a multipart body's parts; else one part

  // The header's value, "" when absent; `name` in any case.
  std::string Header(const std::string& name) const;
  // The first part of that content type ("text/html"), if any.
  const ReceivedPart* Part(const std::string& content_type) const;
};

// Parses one RFC 5322 message (multipart with quoted-printable or base64 parts, or not).
ReceivedEmail ParseEmail(const std::string& raw);
// RFC 2047: =?UTF-8?B?...?= and =?UTF-8?Q?...?= words decoded, the space between two encoded
// words dropped.
std::string DecodeHeaderText(const std::string& value);
std::string DecodeQuotedPrintable(const std::string& text);

class SmtpSink {
 public:
  // Starts tools/smtp-sink/smtp_sink.py (with /usr/bin/python3, where python3-aiosmtpd is
  // installed, else python3) on a free port with a new directory; waits until it listens.
  // With a `login` ("user:password") clients must authenticate (its --login).
  static absl::StatusOr<std::unique_ptr<SmtpSink>> Start(const std::string& login = "");
  ~SmtpSink();

  int port() const { return port_; }
  std::string url() const;  // smtp://127.0.0.1:<port>
  const std::string& dir() const { return dir_; }

  // Kills the server (SIGKILL: the files are written atomically, nothing is half there).
  void Stop();
  // Starts it again on the same port and directory.
  absl::Status Restart();

  // Every complete message (*.eml), sorted by file name: the order of receipt.
  std::vector<ReceivedEmail> Messages() const;

 private:
  SmtpSink() = default;
  std::string dir_;
  std::string login_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace mercato::testing
