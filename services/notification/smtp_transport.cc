#include "notification/smtp_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace mercato::notification {
namespace {

// The message as libcurl reads it, and whether it read all of it.
struct Upload {
  std::string_view rest;
  bool done = false;
};

size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  // All of it handed to libcurl: from here on, a lost answer may mean a delivered message.
  if (upload->rest.empty()) upload->done = true;
  return n;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void SetLogin(CURL* curl, const SmtpConfig& config) {
  if (config.username.empty()) return;
  curl_easy_setopt(curl, CURLOPT_USERNAME, config.username.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, config.password.c_str());
}

}  // namespace

SendOutcome ClassifySend(int curl_code, long smtp_code, bool message_read) {
  if (curl_code == CURLE_OK) return SendOutcome::kSent;
  if (smtp_code >= 500 && smtp_code <= 599) return SendOutcome::kPermanent;
  if (smtp_code >= 400 && smtp_code <= 499) return SendOutcome::kTransient;
  // The connection broke or timed out after the whole message went out: the server may have
  // queued it, so it must not be sent again.
  return message_read ? SendOutcome::kUnknown : SendOutcome::kTransient;
}

CurlSmtpTransport::CurlSmtpTransport(SmtpConfig config) : config_(std::move(config)) {
  InitCurlOnce();
}

SendResult CurlSmtpTransport::Send(const std::string& from, const std::string& to,
                                   const std::string& message) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return {SendOutcome::kTransient, 0, "curl_easy_init failed"};
  const std::string mail_from = absl::StrCat("<", from, ">");
  std::unique_ptr<curl_slist, SlistDeleter> recipients(
      curl_slist_append(nullptr, absl::StrCat("<", to, ">").c_str()));
  Upload upload{message};
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  SetLogin(c, config_);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadMessage);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(c);
  long smtp_code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &smtp_code);
  SendResult result{ClassifySend(code, smtp_code, upload.done), smtp_code, ""};
  if (code != CURLE_OK) {
    result.error = absl::StrCat(curl_easy_strerror(code), error[0] ? ": " : "", error, " (SMTP ",
                                smtp_code, ")");
  }
  return result;
}

}  // namespace mercato::notification
