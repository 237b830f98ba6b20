#include "notification/email_templates.h"

#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/embedded_file.h"

namespace mercato::notification {

// templates/*.{txt,html}, compiled in (CMakeLists.txt).
const std::vector<EmbeddedFile>& EmailTemplates();

namespace {

using events::v1::Envelope;

std::string MoneyOf(const common::v1::Money& money) {
  return FormatMoney(money.amount(), money.currency());
}

// "1a2b3c4d…": enough of the order id to recognise it in a subject line.
std::string OrderRef(const std::string& order_id) {
  if (order_id.size() <= 8) return order_id;
  return absl::StrCat(order_id.substr(0, 8), "\u2026");
}

OrderNotice Notice(std::string kind, const std::string& order_id, const std::string& user_id) {
  return {std::move(kind),
          order_id,
          user_id,
          {{"order_id", order_id}, {"order_ref", OrderRef(order_id)}}};
}

template <typename Shipment>
OrderNotice ShipmentNotice(std::string kind, const Shipment& s) {
  OrderNotice n = Notice(std::move(kind), s.order_id(), s.user_id());
  n.values["carrier"] = s.carrier();
  n.values["tracking_number"] = s.tracking_number();
  return n;
}

int CurrencyDecimals(std::string_view currency) {
  static constexpr std::string_view kNone[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                               "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                               "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (std::string_view c : kNone) {
    if (c == currency) return 0;
  }
  for (std::string_view c : kThree) {
    if (c == currency) return 3;
  }
  return 2;
}

// "1234567" -> "1,234,567".
std::string GroupThousands(const std::string& digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string_view TemplateFile(const std::string& name) {
  for (const EmbeddedFile& file : EmailTemplates()) {
    if (file.name == name) return file.content;
  }
  return {};
}

const std::map<std::string, std::string>& Subjects() {
  static const auto* subjects = new std::map<std::string, std::string>{
      {"order_paid", "Your Mercato order {{order_ref}} is confirmed"},
      {"order_shipped", "Your Mercato order {{order_ref}} is on its way"},
      {"order_delivered", "Your Mercato order {{order_ref}} was delivered"},
      {"order_cancelled", "Your Mercato order {{order_ref}} is cancelled"},
      {"order_refunded", "A refund for your Mercato order {{order_ref}}"},
  };
  return *subjects;
}

}  // namespace

std::optional<OrderNotice> NoticeOf(const Envelope& event) {
  switch (event.payload_case()) {
    case Envelope::kOrderPaid: {
      const auto& p = event.order_paid();
      OrderNotice n = Notice("order_paid", p.order_id(), p.user_id());
      n.values["amount"] = MoneyOf(p.total());
      return n;
    }
    case Envelope::kOrderShipped:
      return ShipmentNotice("order_shipped", event.order_shipped());
    case Envelope::kOrderDelivered:
      return ShipmentNotice("order_delivered", event.order_delivered());
    case Envelope::kOrderCancelled: {
      const auto& p = event.order_cancelled();
      OrderNotice n = Notice("order_cancelled", p.order_id(), p.user_id());
      n.values["amount"] = MoneyOf(p.refunded());
      return n;
    }
    case Envelope::kOrderRefunded: {
      const auto& p = event.order_refunded();
      OrderNotice n = Notice("order_refunded", p.order_id(), p.user_id());
      n.values["amount"] = MoneyOf(p.amount());
      n.values["total_refunded"] = MoneyOf(p.total_refunded());
      return n;
    }
    default:
      return std::nullopt;
  }
}

std::string FormatMoney(int64_t amount, std::string_view currency) {
  const int decimals = CurrencyDecimals(currency);
  // Magnitude as unsigned, so that INT64_MIN has one too.
  uint64_t magnitude = amount < 0 ? 0 - static_cast<uint64_t>(amount) : amount;
  std::string digits = std::to_string(magnitude);
  if (digits.size() <= static_cast<size_t>(decimals)) {
    digits.insert(0, decimals + 1 - digits.size(), '0');
  }
  const size_t whole = digits.size() - decimals;
  std::string out = amount < 0 ? "-" : "";
  absl::StrAppend(&out, GroupThousands(digits.substr(0, whole)));
  if (decimals > 0) absl::StrAppend(&out, ".", digits.substr(whole));
  absl::StrAppend(&out, " ", std::string(currency));
  return out;
}

std::string HtmlEscape(std::string_view text) {
  return absl::StrReplaceAll(
      std::string(text),
      {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

absl::StatusOr<std::string> Substitute(std::string_view text,
                                       const std::map<std::string, std::string>& values,
                                       bool html) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    out.append(text.substr(pos, open == std::string_view::npos ? open : open - pos));
    if (open == std::string_view::npos) return out;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unclosed {{ at offset ", open));
    }
    const std::string name(text.substr(open + 2, close - open - 2));
    auto it = values.find(name);
    if (it == values.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no value for {{", name, "}}"));
    }
    out.append(html ? HtmlEscape(it->second) : it->second);
    pos = close + 2;
  }
}

absl::StatusOr<RenderedEmail> RenderEmail(const OrderNotice& notice, std::string_view shop_url) {
  auto subject = Subjects().find(notice.kind);
  const std::string_view text = TemplateFile(notice.kind + ".txt");
  const std::string_view html = TemplateFile(notice.kind + ".html");
  if (subject == Subjects().end() || text.empty() || html.empty()) {
    return absl::InternalError(absl::StrCat("no templates for email kind ", notice.kind));
  }
  std::map<std::string, std::string> values = notice.values;
  values["shop_url"] = std::string(shop_url);
  values["order_url"] = absl::StrCat(std::string(shop_url), "/orders/", notice.order_id);
  RenderedEmail email;
  auto s = Substitute(subject->second, values, /*html=*/false);
  auto t = Substitute(text, values, /*html=*/false);
  auto h = Substitute(html, values, /*html=*/true);
  for (const auto* part : {&s, &t, &h}) {
    if (!part->ok()) return part->status();
  }
  return RenderedEmail{*std::move(s), *std::move(t), *std::move(h)};
}

}  // namespace mercato::notification
