{{/*
How the services fit together: ports, datastores, which service calls which, the variables each
reads and which of them come from Secrets. A copy of deploy/services.json (the single source of
truth) in the form the templates need; tests/deploy/check.py fails when the two differ.

  {{- $topology := include "mercato.topology" . | fromYaml }}
*/}}
{{- define "mercato.topology" -}}
catalog:
  kind: grpc
  port: 50051
  adminPort: 9101
  database: catalog
  redis: false
  kafka: true
  calls: []
  env: [MERCATO_DATABASE_URL, MERCATO_GATEWAY_PUBLIC_KEY, MERCATO_CART_PUBLIC_KEY, MERCATO_CHECKOUT_PUBLIC_KEY, MERCATO_ACCESS_TOKEN_PUBLIC_KEY, MERCATO_DB_POOL_SIZE, MERCATO_CATALOG_SEED, MERCATO_RESERVATION_TTL_S, MERCATO_RESERVATION_MAX_TTL_S, MERCATO_RESERVATION_SWEEP_MS, MERCATO_RESERVATION_SWEEP_BATCH, MERCATO_LOW_STOCK_THRESHOLD, MERCATO_KAFKA_BROKERS, MERCATO_KAFKA_DELIVERY_TIMEOUT_MS, MERCATO_OUTBOX_POLL_INTERVAL_MS, MERCATO_OUTBOX_RETENTION_HOURS, MERCATO_EVENTS_MAX_ATTEMPTS]
  secretEnv:
    MERCATO_DATABASE_URL: {secret: database, key: catalog-database-url}
    MERCATO_GATEWAY_PUBLIC_KEY: {secret: app, key: gateway-service-public-key}
    MERCATO_CART_PUBLIC_KEY: {secret: app, key: cart-service-public-key}
    MERCATO_CHECKOUT_PUBLIC_KEY: {secret: app, key: checkout-service-public-key}
    MERCATO_ACCESS_TOKEN_PUBLIC_KEY: {secret: app, key: access-token-public-key}
cart:
  kind: grpc
  port: 50052
  adminPort: 9102
  database: ""
  redis: true
  calls: [catalog]
  env: [MERCATO_SERVICE_KEY, MERCATO_GATEWAY_PUBLIC_KEY, MERCATO_CHECKOUT_PUBLIC_KEY, MERCATO_ACCESS_TOKEN_PUBLIC_KEY, MERCATO_REDIS_URL, MERCATO_REDIS_POOL_SIZE, MERCATO_REDIS_CONNECT_TIMEOUT_MS, MERCATO_REDIS_COMMAND_TIMEOUT_MS, MERCATO_CATALOG_ADDR, MERCATO_CART_CURRENCY, MERCATO_RESILIENCE, MERCATO_CATALOG_RESILIENCE]
  secretEnv:
    MERCATO_REDIS_URL: {secret: redis, key: redis-url}
    MERCATO_SERVICE_KEY: {secret: app, key: cart-service-key}
    MERCATO_GATEWAY_PUBLIC_KEY: {secret: app, key: gateway-service-public-key}
    MERCATO_CHECKOUT_PUBLIC_KEY: {secret: app, key: checkout-service-public-key}
    MERCATO_ACCESS_TOKEN_PUBLIC_KEY: {secret: app, key: access-token-public-key}
user:
  kind: grpc
  port: 50053
  adminPort: 9103
  database: users
  redis: false
  calls: []
  env: [MERCATO_DATABASE_URL, MERCATO_DB_POOL_SIZE, MERCATO_ACCESS_TOKEN_KEY, MERCATO_GATEWAY_PUBLIC_KEY, MERCATO_NOTIFICATION_PUBLIC_KEY, MERCATO_ACCESS_TOKEN_TTL_S, MERCATO_REFRESH_TOKEN_TTL_S, MERCATO_ADMIN_EMAIL, MERCATO_ADMIN_PASSWORD]
  secretEnv:
    MERCATO_DATABASE_URL: {secret: database, key: users-database-url}
    MERCATO_ACCESS_TOKEN_KEY: {secret: app, key: access-token-key}
    MERCATO_GATEWAY_PUBLIC_KEY: {secret: app, key: gateway-service-public-key}
    MERCATO_ADMIN_EMAIL: {secret: app, key: admin-email}
    MERCATO_ADMIN_PASSWORD: {secret: app, key: admin-password}
    MERCATO_NOTIFICATION_PUBLIC_KEY: {secret: app, key: notification-service-public-key}
checkout:
  kind: grpc
  port: 50054
  adminPort: 9104
  database: checkout
  redis: false
  kafka: true
  calls: [catalog, cart, payment]
  env: [MERCATO_DATABASE_URL, MERCATO_SERVICE_KEY, MERCATO_GATEWAY_PUBLIC_KEY, MERCATO_ACCESS_TOKEN_PUBLIC_KEY, MERCATO_FULFILLMENT_PUBLIC_KEY, MERCATO_DB_POOL_SIZE, MERCATO_CATALOG_ADDR, MERCATO_CART_ADDR, MERCATO_PAYMENT_ADDR, MERCATO_CHECKOUT_RESERVATION_TTL_S, MERCATO_CHECKOUT_LEASE_MS, MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS, MERCATO_CHECKOUT_PAYMENT_GRACE_MS, MERCATO_RESILIENCE, MERCATO_CATALOG_RESILIENCE, MERCATO_CART_RESILIENCE, MERCATO_PAYMENT_RESILIENCE, MERCATO_KAFKA_BROKERS, MERCATO_KAFKA_DELIVERY_TIMEOUT_MS, MERCATO_OUTBOX_POLL_INTERVAL_MS, MERCATO_OUTBOX_RETENTION_HOURS, MERCATO_EVENTS_MAX_ATTEMPTS]
  secretEnv:
    MERCATO_DATABASE_URL: {secret: database, key: checkout-database-url}
    MERCATO_SERVICE_KEY: {secret: app, key: checkout-service-key}
    MERCATO_GATEWAY_PUBLIC_KEY: {secret: app, key: gateway-service-public-key}
    MERCATO_ACCESS_TOKEN_PUBLIC_KEY: {secret: app, key: access-token-public-key}
    MERCATO_FULFILLMENT_PUBLIC_KEY: {secret: app, key: fulfillment-service-public-key}
payment:
  kind: grpc
  port: 50055
  adminPort: 9105
  database: payment
  redis: false
  kafka: true
  calls: []
  env: [MERCATO_DATABASE_URL, MERCATO_CHECKOUT_PUBLIC_KEY, MERCATO_DB_POOL_SIZE, MERCATO_PAYMENT_FINGERPRINT_KEY, MERCATO_PAYMENT_MAX_AMOUNT, MERCATO_PAYMENT_AUTHORIZATION_MAX_AGE_S, MERCATO_KAFKA_BROKERS, MERCATO_KAFKA_DELIVERY_TIMEOUT_MS, MERCATO_OUTBOX_POLL_INTERVAL_MS, MERCATO_OUTBOX_RETENTION_HOURS, MERCATO_EVENTS_MAX_ATTEMPTS]
  secretEnv:
    MERCATO_DATABASE_URL: {secret: database, key: payment-database-url}
    MERCATO_PAYMENT_FINGERPRINT_KEY: {secret: app, key: payment-fingerprint-key}
    MERCATO_CHECKOUT_PUBLIC_KEY: {secret: app, key: checkout-service-public-key}
fulfillment:
  kind: grpc
  port: 50056
  adminPort: 9106
  database: fulfillment
  redis: false
  kafka: true
  calls: [checkout]
  # The consumer group and topic the worker reads (KEDA scales it on this group's lag).
  consumes: {group: fulfillment, topic: mercato.orders.v1}
  env: [MERCATO_DATABASE_URL, MERCATO_SERVICE_KEY, MERCATO_DB_POOL_SIZE, MERCATO_CHECKOUT_ADDR, MERCATO_FULFILLMENT_SHIP_DELAY_MS, MERCATO_FULFILLMENT_DELIVERY_DELAY_MS, MERCATO_FULFILLMENT_CARRIERS, MERCATO_FULFILLMENT_POLL_MS, MERCATO_RESILIENCE, MERCATO_CHECKOUT_RESILIENCE, MERCATO_KAFKA_BROKERS, MERCATO_KAFKA_DELIVERY_TIMEOUT_MS, MERCATO_OUTBOX_POLL_INTERVAL_MS, MERCATO_OUTBOX_RETENTION_HOURS, MERCATO_EVENTS_MAX_ATTEMPTS]
  secretEnv:
    MERCATO_DATABASE_URL: {secret: database, key: fulfillment-database-url}
    MERCATO_SERVICE_KEY: {secret: app, key: fulfillment-service-key}
notification:
  kind: grpc
  port: 50057
  adminPort: 9107
  database: notification
  redis: false
  kafka: true
  calls: [user]
  consumes: {group: notification, topic: mercato.orders.v1}
  env: [MERCATO_DATABASE_URL, MERCATO_SERVICE_KEY, MERCATO_DB_POOL_SIZE, MERCATO_USER_ADDR, MERCATO_SMTP_URL, MERCATO_SMTP_USERNAME, MERCATO_SMTP_PASSWORD, MERCATO_SMTP_FROM, MERCATO_SMTP_TIMEOUT_MS, MERCATO_SHOP_URL, MERCATO_NOTIFICATION_SEND_INTERVAL_MS, MERCATO_RESILIENCE, MERCATO_USER_RESILIENCE, MERCATO_KAFKA_BROKERS, MERCATO_OUTBOX_RETENTION_HOURS, MERCATO_EVENTS_MAX_ATTEMPTS]
  secretEnv:
    MERCATO_DATABASE_URL: {secret: database, key: notification-database-url}
    MERCATO_SERVICE_KEY: {secret: app, key: notification-service-key}
    # notification.smtp.existingSecret (key notification.smtp.passwordKey), else the app
    # Secret's smtp-password (empty: no login); optional, see deployment.yaml.
    MERCATO_SMTP_PASSWORD: {secret: smtp, key: smtp-password}
gateway:
  kind: http
  port: 8080
  adminPort: 9100
  database: ""
  redis: false
  calls: [catalog, cart, user, checkout]
  env: [MERCATO_HTTP_PORT, MERCATO_ADMIN_PORT, MERCATO_BIND_ADDRESS, MERCATO_LOG_LEVEL, MERCATO_IO_THREADS, MERCATO_MAX_IN_FLIGHT, MERCATO_MAX_HEADER_BYTES, MERCATO_MAX_BODY_BYTES, MERCATO_REQUEST_TIMEOUT_MS, MERCATO_RPC_TIMEOUT_MS, MERCATO_IDLE_TIMEOUT_MS, MERCATO_SHUTDOWN_GRACE_MS, MERCATO_READYZ_CACHE_MS, MERCATO_ACCESS_LOG, MERCATO_WEB_ROOT, MERCATO_CATALOG_ADDR, MERCATO_CART_ADDR, MERCATO_USER_ADDR, MERCATO_CHECKOUT_ADDR, MERCATO_SERVICE_KEY, MERCATO_ACCESS_TOKEN_PUBLIC_KEY, MERCATO_CART_COOKIE_KEY, MERCATO_JWT_CLOCK_SKEW_S, MERCATO_RESILIENCE, MERCATO_CATALOG_RESILIENCE, MERCATO_CART_RESILIENCE, MERCATO_USER_RESILIENCE, MERCATO_CHECKOUT_RESILIENCE, MERCATO_RATE_LIMIT_CLIENT, MERCATO_RATE_LIMIT_USER, MERCATO_RATE_LIMIT_LOGIN, MERCATO_RATE_LIMIT_CHECKOUT, MERCATO_TRUSTED_PROXIES, MERCATO_GATEWAY_CACHE_MAX_BYTES, MERCATO_GATEWAY_CACHE_POLL_MS]
  secretEnv:
    MERCATO_SERVICE_KEY: {secret: app, key: gateway-service-key}
    MERCATO_ACCESS_TOKEN_PUBLIC_KEY: {secret: app, key: access-token-public-key}
    MERCATO_CART_COOKIE_KEY: {secret: app, key: cart-cookie-key}
{{- end -}}

{{/* Variables every gRPC service reads (services.json: common_grpc_env). */}}
{{- define "mercato.commonGrpcEnv" -}}
[MERCATO_GRPC_PORT, MERCATO_ADMIN_PORT, MERCATO_BIND_ADDRESS, MERCATO_SHUTDOWN_GRACE_MS, MERCATO_RPC_TIMEOUT_MS, MERCATO_LOG_LEVEL, MERCATO_WORKER_THREADS, MERCATO_MAX_IN_FLIGHT]
{{- end -}}

{{/* Service order in rendered output: callees before callers. The workers (fulfillment,
notification) only when <service>.enabled. Call with the root context. */}}
{{- define "mercato.serviceNames" -}}
{{- $names := list "catalog" "cart" "user" "payment" "checkout" -}}
{{- range $w := list "fulfillment" "notification" -}}
{{- if (get $.Values $w).enabled -}}{{- $names = append $names $w -}}{{- end -}}
{{- end -}}
{{- toYaml (append $names "gateway") -}}
{{- end -}}

{{/* Whether a service of the topology runs in this release: (dict "ctx" $ "name" "user"). */}}
{{- define "mercato.serviceEnabled" -}}
{{- if has .name (include "mercato.serviceNames" .ctx | fromYamlArray) -}}true{{- end -}}
{{- end -}}
