#include "fulfillment/config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mercato::fulfillment {

std::vector<std::string> SplitCarriers(const std::string& list) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    absl::string_view name = absl::StripAsciiWhitespace(part);
    if (!name.empty()) out.emplace_back(name);
  }
  return out;
}

absl::StatusOr<FulfillmentConfig> LoadFulfillmentConfig(EnvReader& env) {
  using std::chrono::milliseconds;
  FulfillmentConfig c;
  c.server = ReadServerConfig(env, /*default_grpc_port=*/50056, /*default_admin_port=*/9106);
  c.bind_address = env.String("MERCATO_BIND_ADDRESS", "0.0.0.0");
  c.database_url = env.RequiredString("MERCATO_DATABASE_URL");
  c.db_pool_size = static_cast<int>(env.Int("MERCATO_DB_POOL_SIZE", 4, 1, 200));
  c.checkout_address = env.String("MERCATO_CHECKOUT_ADDR", "127.0.0.1:50054");
  c.backends = ReadBackendPolicies(env, {"checkout"});
  c.ship_delay = env.Millis("MERCATO_FULFILLMENT_SHIP_DELAY_MS", milliseconds(30000),
                            milliseconds(0), milliseconds(86400000));
  c.delivery_delay = env.Millis("MERCATO_FULFILLMENT_DELIVERY_DELAY_MS", milliseconds(60000),
                                milliseconds(0), milliseconds(604800000));
  c.carriers =
      SplitCarriers(env.String("MERCATO_FULFILLMENT_CARRIERS", "Mercato Post,Parcel Express"));
  if (c.carriers.empty()) env.AddError("MERCATO_FULFILLMENT_CARRIERS", "names no carrier");
  for (const std::string& carrier : c.carriers) {
    if (carrier.size() > 64) {
      env.AddError("MERCATO_FULFILLMENT_CARRIERS", "a carrier name is longer than 64 characters");
    }
  }
  c.poll_interval = env.Millis("MERCATO_FULFILLMENT_POLL_MS", milliseconds(200), milliseconds(10),
                               milliseconds(60000));
  c.events = events::ReadEventsConfig(env, "fulfillment");
  c.events.consumer.kafka.settings["fetch.wait.max.ms"] = kFetchWaitMaxMs;
  c.identity = auth::ReadIdentityConfig(env, {.callers = {}, .calls_others = true});
  if (absl::Status s = env.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace mercato::fulfillment
