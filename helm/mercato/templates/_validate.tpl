{{/*
Every check that can be made before anything reaches the cluster. All problems are reported
at once, each naming the value to fix. Included by every template that depends on the values
(helm renders templates independently, so the first one to run fails the install).
*/}}
{{- define "mercato.validateValues" -}}
{{- $errors := list -}}
{{- $v := .Values -}}
{{- $topology := include "mercato.topology" . | fromYaml -}}
{{- $common := include "mercato.commonGrpcEnv" . | fromYamlArray -}}

{{- /* Application secrets: required, no defaults. */ -}}
{{- if not $v.secrets.existingSecret -}}
  {{- if not (regexMatch "^[^@\\s]+@[^@\\s]+$" $v.secrets.adminEmail) -}}
    {{- $errors = append $errors "secrets.adminEmail: set the email of the admin account, or name a Secret in secrets.existingSecret" -}}
  {{- end -}}
  {{- if lt (len $v.secrets.adminPassword) 12 -}}
    {{- $errors = append $errors "secrets.adminPassword: set the admin account's password (at least 12 characters), or name a Secret in secrets.existingSecret" -}}
  {{- end -}}
  {{- if lt (len $v.secrets.paymentFingerprintKey) 32 -}}
    {{- $errors = append $errors "secrets.paymentFingerprintKey: set a random key of at least 32 characters and keep it across upgrades, or name a Secret in secrets.existingSecret" -}}
  {{- end -}}
  {{- if and $v.secrets.cartCookieKey (lt (len $v.secrets.cartCookieKey) 32) -}}
    {{- $errors = append $errors "secrets.cartCookieKey: at least 32 random characters (the gateway signs guest cart cookies with it), or leave it empty and the chart generates one" -}}
  {{- end -}}
{{- end -}}

{{- /* PostgreSQL: bundled with a password, or external with credentials. */ -}}
{{- if $v.postgresql.enabled -}}
  {{- if not (regexMatch "^[A-Za-z0-9._~-]{12,}$" $v.postgresql.auth.password) -}}
    {{- $errors = append $errors "postgresql.auth.password: the bundled PostgreSQL needs a password of at least 12 characters from A-Z a-z 0-9 . _ ~ - (it goes into URLs unescaped), or set postgresql.enabled=false and use externalDatabase" -}}
  {{- end -}}
  {{- /* Every pool of every replica must fit in max_connections (plus a few for admins). */ -}}
  {{- $needed := 0 -}}
  {{- range $name, $t := $topology -}}
    {{- if and $t.database (include "mercato.serviceEnabled" (dict "ctx" $ "name" $name)) -}}
      {{- $svc := get $v $name -}}
      {{- $pool := int (get $svc.config "MERCATO_DB_POOL_SIZE" | default 8) -}}
      {{- $replicas := ternary (int $svc.autoscaling.maxReplicas) (int $svc.replicaCount) $v.autoscaling.enabled -}}
      {{- if include "mercato.kedaEnabled" (dict "ctx" $ "name" $name) -}}
        {{- $replicas = int $svc.autoscaling.keda.maxReplicaCount -}}
      {{- end -}}
      {{- $needed = add $needed (mul $pool $replicas) -}}
    {{- end -}}
  {{- end -}}
  {{- if gt (add $needed 5) (int $v.postgresql.maxConnections) -}}
    {{- $errors = append $errors (printf "postgresql.maxConnections (%d) is below the %d connections the services may open (MERCATO_DB_POOL_SIZE x max replicas, summed) plus 5: raise it or lower the pools or maxReplicas" (int $v.postgresql.maxConnections) $needed) -}}
  {{- end -}}
{{- else -}}
  {{- if not $v.externalDatabase.existingSecret -}}
    {{- $dbs := list "catalog" "users" "checkout" "payment" -}}
    {{- range $w := list "fulfillment" "notification" -}}
      {{- if (get $v $w).enabled -}}{{- $dbs = append $dbs $w -}}{{- end -}}
    {{- end -}}
    {{- range $db := $dbs -}}
      {{- if not (regexMatch "^postgres(ql)?://" (get $v.externalDatabase.urls $db)) -}}
        {{- $errors = append $errors (printf "externalDatabase.urls.%s: postgresql.enabled is false, so give the %s database's URL (postgresql://user:password@host:5432/%s), or name a Secret in externalDatabase.existingSecret" $db $db $db) -}}
      {{- end -}}
    {{- end -}}
  {{- end -}}
  {{- if and $v.networkPolicies.enabled (not $v.externalDatabase.cidrs) -}}
    {{- $errors = append $errors "externalDatabase.cidrs: networkPolicies.enabled with an external PostgreSQL needs its address range(s) for the egress policy" -}}
  {{- end -}}
{{- end -}}

{{- /* Redis likewise. */ -}}
{{- if $v.redis.enabled -}}
  {{- if not (regexMatch "^[A-Za-z0-9._~-]{12,}$" $v.redis.auth.password) -}}
    {{- $errors = append $errors "redis.auth.password: the bundled Redis needs a password of at least 12 characters from A-Z a-z 0-9 . _ ~ - (it goes into a URL unescaped), or set redis.enabled=false and use externalRedis" -}}
  {{- end -}}
{{- else -}}
  {{- if and (not $v.externalRedis.existingSecret) (not (regexMatch "^rediss?://" $v.externalRedis.url)) -}}
    {{- $errors = append $errors "externalRedis.url: redis.enabled is false, so give the Redis URL (redis://:password@host:6379/0), or name a Secret in externalRedis.existingSecret" -}}
  {{- end -}}
  {{- if and $v.networkPolicies.enabled (not $v.externalRedis.cidrs) -}}
    {{- $errors = append $errors "externalRedis.cidrs: networkPolicies.enabled with an external Redis needs its address range(s) for the egress policy" -}}
  {{- end -}}
{{- end -}}

{{- /* Kafka: bundled, or external brokers. With neither, the services' outboxes would grow
without bound (every event kept until a broker acknowledges it). */ -}}
{{- if not $v.kafka.enabled -}}
  {{- if not (regexMatch "^[A-Za-z0-9.-]+:[0-9]+(,[A-Za-z0-9.-]+:[0-9]+)*$" $v.kafka.bootstrapServers) -}}
    {{- $errors = append $errors "kafka.bootstrapServers: kafka.enabled is false, so give your Kafka cluster's bootstrap servers as host:port[,host:port] (Strimzi: <cluster>-kafka-bootstrap.<namespace>:9092); without a broker catalog, checkout and payment keep every event in their outboxes" -}}
  {{- end -}}
  {{- if and $v.networkPolicies.enabled (not $v.kafka.cidrs) -}}
    {{- $errors = append $errors "kafka.cidrs: networkPolicies.enabled with an external Kafka needs the brokers' address range(s) for the egress policy" -}}
  {{- end -}}
{{- end -}}

{{- /* Per service: config keys the service reads, replica bounds. */ -}}
{{- range $name, $t := $topology -}}
  {{- $svc := get $v $name -}}
  {{- $readable := concat $t.env (ternary $common (list) (eq $t.kind "grpc")) -}}
  {{- $managed := list "MERCATO_GRPC_PORT" "MERCATO_HTTP_PORT" "MERCATO_ADMIN_PORT" "MERCATO_LOG_LEVEL" "MERCATO_SHUTDOWN_GRACE_MS" -}}
  {{- range $t.calls -}}{{- $managed = append $managed (printf "MERCATO_%s_ADDR" (upper .)) -}}{{- end -}}
  {{- if eq $name "gateway" -}}{{- $managed = append $managed "MERCATO_TRUSTED_PROXIES" -}}{{- end -}}
  {{- if eq $name "notification" -}}{{- $managed = append $managed "MERCATO_SMTP_URL" -}}{{- end -}}
  {{- range $key, $value := $svc.config -}}
    {{- if not (has $key $readable) -}}
      {{- $errors = append $errors (printf "%s.config.%s: the %s service does not read this variable (see deploy/services.json)" $name $key $name) -}}
    {{- else if hasKey $t.secretEnv $key -}}
      {{- $errors = append $errors (printf "%s.config.%s: a secret; it comes from a Secret, never from the ConfigMap (see secrets.* and the datastore values)" $name $key) -}}
    {{- else if has $key $managed -}}
      {{- $errors = append $errors (printf "%s.config.%s: set by the chart (ports from the topology, logLevel, shutdown.graceMs, service addresses, gateway.trustedProxies, notification.smtp.url); change those values instead" $name $key) -}}
    {{- end -}}
  {{- end -}}
  {{- if gt (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas) -}}
    {{- $errors = append $errors (printf "%s.autoscaling.minReplicas (%d) exceeds maxReplicas (%d)" $name (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas)) -}}
  {{- end -}}
  {{- $res := $svc.resources | default dict -}}
  {{- range $kind := list "requests" "limits" -}}
    {{- range $r := list "cpu" "memory" -}}
      {{- if not (get (get $res $kind | default dict) $r) -}}
        {{- $errors = append $errors (printf "%s.resources.%s.%s: required (the HPA computes utilisation from requests; limits protect the node)" $name $kind $r) -}}
      {{- end -}}
    {{- end -}}
  {{- end -}}
{{- end -}}

{{- /* The notification worker's SMTP server: required (every order email goes there), and
reachable through the egress policy. Readiness does not depend on it. */ -}}
{{- if $v.notification.enabled -}}
  {{- if not (regexMatch "^smtps?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$" $v.notification.smtp.url) -}}
    {{- /* The value is not echoed: a URL with a login in it would print the password. */ -}}
    {{- $errors = append $errors "notification.smtp.url: the notification worker emails shoppers over SMTP: give the server as smtp://host:port (STARTTLS when offered) or smtps://host:port, without a login (that comes from notification.smtp.existingSecret), or set notification.enabled=false" -}}
  {{- end -}}
  {{- if and $v.networkPolicies.enabled (not $v.notification.smtp.cidrs) -}}
    {{- $errors = append $errors "notification.smtp.cidrs: networkPolicies.enabled needs the SMTP server's address range(s) for the notification worker's egress policy" -}}
  {{- end -}}
{{- end -}}

{{- /* Scale to zero: a worker KEDA stops must not leave work behind that only a timer of its
own would do. Fulfillment advances shipments on a timer (packed -> shipped -> delivered), so
the idle time before KEDA removes the last replica must exceed both delays together. */ -}}
{{- range $name := list "fulfillment" "notification" -}}
  {{- $svc := get $v $name -}}
  {{- if and $svc.enabled $svc.autoscaling.keda.enabled -}}
    {{- if eq $name "fulfillment" -}}
      {{- $ship := int (get $svc.config "MERCATO_FULFILLMENT_SHIP_DELAY_MS" | default 30000) -}}
      {{- $delivery := int (get $svc.config "MERCATO_FULFILLMENT_DELIVERY_DELAY_MS" | default 60000) -}}
      {{- /* KEDA counts the cooldown from its last poll that saw lag, up to one polling
             interval before the worker consumed the event. */ -}}
      {{- $needed := add $ship $delivery (mul (int $svc.autoscaling.keda.pollingInterval) 1000) -}}
      {{- if le (mul (int $svc.autoscaling.keda.cooldownPeriod) 1000) $needed -}}
        {{- $errors = append $errors (printf "fulfillment.autoscaling.keda.cooldownPeriod (%d s) must exceed MERCATO_FULFILLMENT_SHIP_DELAY_MS + MERCATO_FULFILLMENT_DELIVERY_DELAY_MS + pollingInterval (%d ms): scaled to zero earlier, a paid order would wait to ship until the next order event" (int $svc.autoscaling.keda.cooldownPeriod) $needed) -}}
      {{- end -}}
    {{- end -}}
  {{- end -}}
{{- end -}}

{{- /* Toggles that exclude each other or need another. */ -}}
{{- if and $v.istio.enabled $v.linkerd.enabled -}}
  {{- $errors = append $errors "istio.enabled and linkerd.enabled: choose one service mesh" -}}
{{- end -}}
{{- if and $v.ingress.enabled $v.ingress.tls.enabled (not $v.ingress.host) -}}
  {{- $errors = append $errors "ingress.tls.enabled needs ingress.host (the certificate's name)" -}}
{{- end -}}
{{- if not (has $v.shutdown.preStopMode (list "auto" "sleep" "exec")) -}}
  {{- $errors = append $errors (printf "shutdown.preStopMode: %q is not one of auto, sleep, exec" $v.shutdown.preStopMode) -}}
{{- end -}}
{{- if lt (int $v.probes.liveness.periodSeconds | mul (int $v.probes.liveness.failureThreshold) | mul 1000) (int $v.shutdown.graceMs) -}}
  {{- $errors = append $errors "probes.liveness: periodSeconds x failureThreshold must exceed shutdown.graceMs, or a draining pod (health NOT_SERVING) is killed before it finishes" -}}
{{- end -}}

{{- include "mercato-lib.util.failOnErrors" $errors -}}
{{- end -}}
