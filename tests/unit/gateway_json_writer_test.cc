// The hot responses' streaming writer (json_codec.h: RapidJSON) against the nlohmann renderers
// it replaced, kept here as the reference: for representative messages (Unicode, quotes,
// control characters, invalid UTF-8, empty fields, next_page_token present or absent, money at
// its limits) both must produce the same bytes, so that bodies and their ETags did not change,
// and the bytes must parse back to the document.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gateway/json_codec.h"

namespace mercato::gateway {
namespace {

using catalog::v1::Product;

// ---- the reference: the nlohmann renderers as they were -------------------------------------

// What JsonResponse writes for a DOM.
std::string Dump(const Json& json) { return JsonResponse(200, json).body; }

Json RefMoney(const common::v1::Money& money) {
  Json out = Json::object();
  out["amount"] = money.amount();
  out["currency"] = money.currency();
  return out;
}

Json RefProduct(const Product& p) {
  Json out = Json::object();
  out["id"] = p.id();
  out["name"] = p.name();
  out["description"] = p.description();
  out["price"] = RefMoney(p.price());
  Json& categories = out["categories"] = Json::array();
  for (const auto& c : p.categories()) categories.push_back(c);
  out["image_url"] = p.image_url();
  out["stock"] = p.stock();
  return out;
}

// The admin answer to a product upsert.
Json RefAdminProduct(const Product& p) {
  Json out = RefProduct(p);
  out["on_hand"] = p.on_hand();
  out["reserved"] = p.reserved();
  return out;
}

Json RefProductsPage(const catalog::v1::ListProductsResponse& reply) {
  Json body = Json::object();
  Json& products = body["products"] = Json::array();
  for (const auto& p : reply.products()) products.push_back(RefProduct(p));
  if (!reply.next_page_token().empty()) body["next_page_token"] = reply.next_page_token();
  return body;
}

Json RefCategories(const catalog::v1::ListCategoriesResponse& reply) {
  Json categories = Json::array();
  for (const auto& c : reply.categories()) {
    Json out = Json::object();
    out["id"] = c.id();
    out["name"] = c.name();
    categories.push_back(std::move(out));
  }
  return {{"categories", std::move(categories)}};
}

Json RefCart(const cart::v1::Cart& cart) {
  Json out = Json::object();
  Json& items = out["items"] = Json::array();
  for (const auto& line : cart.items()) {
    Json& item = items.emplace_back(Json::object());
    item["product_id"] = line.product_id();
    item["name"] = line.name();
    item["quantity"] = line.quantity();
    item["unit_price"] = RefMoney(line.unit_price());
    item["line_total"] = RefMoney(line.line_total());
    item["image_url"] = line.image_url();
    item["available_stock"] = line.available_stock();
  }
  out["subtotal"] = RefMoney(cart.subtotal());
  return out;
}

// ---- representative values --------------------------------------------------------------

std::string AllControlCharacters() {
  std::string s;
  for (int c = 0; c < 0x20; ++c) s.push_back(static_cast<char>(c));
  return s;
}

// `c` between runs longer than RapidJSON's 16-byte SIMD blocks.
std::string LongRunsAround(char c) { return std::string(37, 'a') + c + std::string(41, 'b'); }

// Valid UTF-8: kept as is by both writers, or escaped the same way.
std::vector<std::string> ValidTexts() {
  return {"",
          "Knife",
          "Crème brûlée — 日本語 🍣 Ωmega",
          "quote \" backslash \\ slash / <script>&'",
          "\b\f\n\r\t",
          AllControlCharacters(),
          std::string("nul\0inside", 10),
          "\x1f\x0b\x0e\x7f end",
          "\xef\xbf\xbd \xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80",
          std::string(300, 'x') + "é",
          LongRunsAround('\x1a'),
          LongRunsAround('\x1f'),
          LongRunsAround('"'),
          LongRunsAround('\\'),
          std::string(37, 'a') + "é日🍣" + std::string(41, 'b')};
}

// Not UTF-8 (the services never send it, but the bytes must still match): nlohmann replaces
// each bad sequence with U+FFFD.
std::vector<std::string> InvalidTexts() {
  return {"\xff",
          "\x80",
          "a\xe2\x82z",
          "ends \xe2\x82",
          "\xc0\x80",
          "\xc1\xbf",
          "\xed\xa0\x80",
          "\xed\xbf\xbf",
          "\xf4\x90\x80\x80",
          "\xf8\x88\x80\x80\x80",
          "\xe0\x80\xaf",
          "é\xc3",
          "ok \xc3\xa9 \xfe\n bad",
          LongRunsAround('\xc3')};
}

std::vector<std::string> AllTexts() {
  std::vector<std::string> texts = ValidTexts();
  for (auto& t : InvalidTexts()) texts.push_back(std::move(t));
  return texts;
}

common::v1::Money Money(int64_t amount, std::string currency) {
  common::v1::Money m;
  m.set_amount(amount);
  m.set_currency(std::move(currency));
  return m;
}

Product ProductWith(const std::string& text, int64_t amount) {
  Product p;
  p.set_id("id-" + text);
  p.set_name(text);
  p.set_description("About " + text);
  *p.mutable_price() = Money(amount, "USD");
  p.add_categories("kitchen");
  p.add_categories(text);
  p.set_image_url("/images/" + text + ".svg");
  p.set_stock(amount % 1000);
  p.set_on_hand(amount);
  p.set_reserved(-amount);
  p.set_catalog_version(42);  // not part of the JSON
  return p;
}

const int64_t kAmounts[] = {0, 1999, -5, std::numeric_limits<int64_t>::max(),
                            std::numeric_limits<int64_t>::min()};

// Same bytes as the reference, and they parse back to the document.
void ExpectSameJson(const JsonText& text, const Json& reference, bool valid_utf8) {
  const std::string expected = Dump(reference);
  EXPECT_EQ(text.str(), expected);
  const Json parsed = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(parsed.is_discarded()) << text.str();
  EXPECT_EQ(parsed, Json::parse(expected));
  if (valid_utf8) {
    EXPECT_EQ(parsed, reference);
  }
}

// ---- tests --------------------------------------------------------------------------------

TEST(GatewayJsonWriterTest, StringsAreWrittenAsNlohmannWritesThem) {
  for (const std::string& text : AllTexts()) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    WriteJsonString(w, text);
    EXPECT_EQ(std::string(buffer.GetString(), buffer.GetSize()), Dump(Json(text))) << text;
  }
}

TEST(GatewayJsonWriterTest, ControlCharactersAndUnicodeAreEscapedLikeBefore) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  WriteJsonString(w, "\x01\x1f\n\"\\é\x7f");
  // Lower-case hex as nlohmann writes it; UTF-8 and DEL kept as they are.
  EXPECT_EQ(std::string(buffer.GetString(), buffer.GetSize()),
            "\"\\u0001\\u001f\\n\\\"\\\\é\x7f\"");
}

TEST(GatewayJsonWriterTest, InvalidUtf8IsReplacedLikeBefore) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  WriteJsonString(w,
                  "a\xff"
                  "b");
  EXPECT_EQ(std::string(buffer.GetString(), buffer.GetSize()),
            "\"a\xef\xbf\xbd"
            "b\"");
}

TEST(GatewayJsonWriterTest, ProductMatchesTheNlohmannRenderer) {
  for (const bool valid : {true, false}) {
    for (const std::string& text : valid ? ValidTexts() : InvalidTexts()) {
      for (int64_t amount : kAmounts) {
        const Product p = ProductWith(text, amount);
        SCOPED_TRACE(text);
        ExpectSameJson(ProductText(p), RefProduct(p), valid);
        ExpectSameJson(ProductText(p, /*with_stock_detail=*/true), RefAdminProduct(p), valid);
      }
    }
  }
}

TEST(GatewayJsonWriterTest, EmptyProductMatchesTheNlohmannRenderer) {
  const Product empty;
  ExpectSameJson(ProductText(empty), RefProduct(empty), true);
  EXPECT_EQ(ProductText(empty).str(),
            R"({"categories":[],"description":"","id":"","image_url":"","name":"",)"
            R"("price":{"amount":0,"currency":""},"stock":0})");
}

TEST(GatewayJsonWriterTest, ProductsPageWithAndWithoutNextPageToken) {
  catalog::v1::ListProductsResponse page;
  ExpectSameJson(ProductsPageText(page), RefProductsPage(page), true);
  EXPECT_EQ(ProductsPageText(page).str(), R"({"products":[]})");
  int n = 0;
  for (const std::string& text : ValidTexts()) {
    *page.add_products() = ProductWith(text, kAmounts[n++ % std::size(kAmounts)]);
  }
  page.set_catalog_version(7);
  ExpectSameJson(ProductsPageText(page), RefProductsPage(page), true);
  page.set_next_page_token("eyJpZCI6Ing\"\\/é");
  ExpectSameJson(ProductsPageText(page), RefProductsPage(page), true);
  EXPECT_EQ(ProductsPageText(page).str().rfind(R"({"next_page_token":"eyJpZCI6Ing\"\\/é",)", 0),
            0u);
  *page.add_products() = ProductWith("\xc3(", 1);
  ExpectSameJson(ProductsPageText(page), RefProductsPage(page), false);
}

TEST(GatewayJsonWriterTest, CategoriesMatchTheNlohmannRenderer) {
  catalog::v1::ListCategoriesResponse reply;
  ExpectSameJson(CategoriesText(reply), RefCategories(reply), true);
  EXPECT_EQ(CategoriesText(reply).str(), R"({"categories":[]})");
  for (const std::string& text : AllTexts()) {
    auto* c = reply.add_categories();
    c->set_id("slug-" + text);
    c->set_name(text);
  }
  reply.add_categories();  // empty id and name
  ExpectSameJson(CategoriesText(reply), RefCategories(reply), false);
}

TEST(GatewayJsonWriterTest, CartMatchesTheNlohmannRenderer) {
  cart::v1::Cart cart;
  ExpectSameJson(CartText(cart), RefCart(cart), true);
  EXPECT_EQ(CartText(cart).str(), R"({"items":[],"subtotal":{"amount":0,"currency":""}})");
  int n = 0;
  for (const std::string& text : AllTexts()) {
    auto* line = cart.add_items();
    line->set_product_id("p-" + text);
    line->set_name(text);
    line->set_quantity(n % 2 == 0 ? n : -n);
    *line->mutable_unit_price() = Money(kAmounts[n % std::size(kAmounts)], "EUR");
    *line->mutable_line_total() = Money(kAmounts[(n + 1) % std::size(kAmounts)], text);
    line->set_image_url(n % 3 == 0 ? "" : "/images/" + text);
    line->set_available_stock(kAmounts[(n + 2) % std::size(kAmounts)]);
    ++n;
  }
  cart.add_items();  // every field empty
  *cart.mutable_subtotal() = Money(123456, "EUR");
  cart.set_revision("not rendered");
  ExpectSameJson(CartText(cart), RefCart(cart), false);
}

TEST(GatewayJsonWriterTest, JsonResponseSendsTheTextAsItIs) {
  catalog::v1::ListCategoriesResponse reply;
  reply.add_categories()->set_id("kitchen");
  HttpResponse r = JsonResponse(200, CategoriesText(reply));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"categories":[{"id":"kitchen","name":""}]})");
}

}  // namespace
}  // namespace mercato::gateway
