// Hands one RFC 5322 message to an SMTP server: libcurl's SMTP client (MAIL FROM, RCPT TO,
// DATA), STARTTLS when the server offers it on smtp:// (CURLUSESSL_TRY), TLS from the start on
// smtps://, AUTH when a username is configured, the whole conversation bounded by the timeout.
//
//   CurlSmtpTransport smtp(config.smtp);
//   SendResult r = smtp.Send("orders@mercato.local", recipient, message);
//   if (r.outcome == SendOutcome::kTransient) ... try again later ...
//
// Nothing of the message or the recipient is logged here.
#pragma once

#include <memory>
#include <string>

#include "notification/config.h"

namespace mercato::notification {

enum class SendOutcome {
  kSent,       // the server accepted the message (250 after DATA)
  kTransient,  // not sent: no connection, a 4xx, a timeout before the message was handed over
  kPermanent,  // refused with a 5xx
  kUnknown,    // the whole message went out but the answer never came: it may be delivered
};

struct SendResult {
  SendOutcome outcome = SendOutcome::kSent;
  long smtp_code = 0;  // the server's last reply code, 0 if none
  std::string error;   // for the logs and the row's last_error (never the address or body)
};

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  virtual SendResult Send(const std::string& from, const std::string& to,
                          const std::string& message) = 0;
};
using MailTransportPtr = std::unique_ptr<MailTransport>;

// The outcome of one libcurl transfer: `curl_code` (a CURLcode), the server's last reply code
// and whether libcurl read the whole message (then a lost answer is kUnknown, not kTransient).
SendOutcome ClassifySend(int curl_code, long smtp_code, bool message_read);

class CurlSmtpTransport : public MailTransport {
 public:
  // Initialises libcurl once per process.
  explicit CurlSmtpTransport(SmtpConfig config);
  SendResult Send(const std::string& from, const std::string& to,
                  const std::string& message) override;

 private:
  const SmtpConfig config_;
};

}  // namespace mercato::notification
