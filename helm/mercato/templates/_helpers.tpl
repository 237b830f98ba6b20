{{- define "mercato.fullname" -}}
{{- include "mercato-lib.names.fullname" . -}}
{{- end -}}

{{/* "<fullname>-<name>", e.g. mercato-catalog. Call with (dict "ctx" $ "name" "catalog"). */}}
{{- define "mercato.name" -}}
{{- include "mercato-lib.names.component" . -}}
{{- end -}}

{{- define "mercato.labels" -}}
{{- include "mercato-lib.labels.standard" . -}}
{{- end -}}

{{- define "mercato.selectorLabels" -}}
{{- include "mercato-lib.labels.selector" . -}}
{{- end -}}

{{/* Labels every pod of the release carries: what the release-wide NetworkPolicies select. */}}
{{- define "mercato.releaseSelector" -}}
app.kubernetes.io/part-of: mercato
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Secret holding admin-email, admin-password, payment-fingerprint-key, cart-cookie-key and
the ES256 keys (<service>-service-key / -public-key per calling service, access-token-key /
-public-key). */}}
{{- define "mercato.appSecretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "mercato.fullname" .)) -}}
{{- end -}}

{{/*
One ES256 key pair of the app Secret's data: "<name>-key", the private key (PEM, from
genPrivateKey "ecdsa"), and "<name>-public-key", a self-signed certificate of it (Helm has no
function that writes a bare public key; the services take the key out of the certificate and
ignore its names and dates). Made on the first install; an upgrade keeps the pair an earlier
release stored (`existing`: that Secret's data, from lookup). Arguments: a dict with "name"
(e.g. "cart-service") and "existing".
*/}}
{{- define "mercato.keyPair" -}}
{{- $private := printf "%s-key" .name -}}
{{- $public := printf "%s-public-key" .name -}}
{{- if and (hasKey .existing $private) (hasKey .existing $public) -}}
{{ $private }}: {{ index .existing $private | quote }}
{{ $public }}: {{ index .existing $public | quote }}
{{- else -}}
{{- $key := genPrivateKey "ecdsa" -}}
{{- $certificate := genSelfSignedCertWithKey (printf "mercato-%s" .name) nil nil 36500 $key -}}
{{ $private }}: {{ $key | b64enc | quote }}
{{ $public }}: {{ $certificate.Cert | b64enc | quote }}
{{- end -}}
{{- end -}}

{{/* The chart's own Secret of datastore URLs and bundled-datastore passwords. */}}
{{- define "mercato.datastoreSecretName" -}}
{{- printf "%s-datastores" (include "mercato.fullname" .) -}}
{{- end -}}

{{- define "mercato.databaseSecretName" -}}
{{- if and (not .Values.postgresql.enabled) .Values.externalDatabase.existingSecret -}}
{{- .Values.externalDatabase.existingSecret -}}
{{- else -}}
{{- include "mercato.datastoreSecretName" . -}}
{{- end -}}
{{- end -}}

{{- define "mercato.redisSecretName" -}}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.existingSecret -}}
{{- .Values.externalRedis.existingSecret -}}
{{- else -}}
{{- include "mercato.datastoreSecretName" . -}}
{{- end -}}
{{- end -}}

{{/* Whether the chart renders <fullname>-datastores. */}}
{{- define "mercato.datastoreSecretNeeded" -}}
{{- if or .Values.postgresql.enabled .Values.redis.enabled (not .Values.externalDatabase.existingSecret) (not .Values.externalRedis.existingSecret) -}}true{{- end -}}
{{- end -}}

{{/* Seconds the drain may take: preStop delay, then MERCATO_SHUTDOWN_GRACE_MS, then a margin. */}}
{{- define "mercato.terminationGracePeriodSeconds" -}}
{{- $graceS := div (add (int .Values.shutdown.graceMs) 999) 1000 -}}
{{- add (int .Values.shutdown.preStopSeconds) $graceS (int .Values.shutdown.marginSeconds) -}}
{{- end -}}

{{- define "mercato.preStop" -}}
{{- $mode := .Values.shutdown.preStopMode -}}
{{- if eq $mode "auto" -}}
{{- $mode = ternary "sleep" "exec" (semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version) -}}
{{- end -}}
{{- if eq $mode "sleep" }}
sleep:
  seconds: {{ int .Values.shutdown.preStopSeconds }}
{{- else }}
exec:
  command: ["sleep", "{{ int .Values.shutdown.preStopSeconds }}"]
{{- end }}
{{- end -}}

{{/*
The non-secret settings of one service, as its ConfigMap's data. Ports and addresses come from
the topology; <service>.config adds the rest (validated in _validate.tpl).
Call with (dict "ctx" $ "svc" "catalog").
*/}}
{{/* The Kafka bootstrap servers the services get: kafka.bootstrapServers, or the broker
Service a release named like this one would have ("<release>-kafka:9092"). */}}
{{- define "mercato.kafkaBootstrapServers" -}}
{{- .Values.kafka.bootstrapServers | default (printf "%s:9092" (include "mercato.name" (dict "ctx" . "name" "kafka"))) -}}
{{- end -}}

{{/* The bundled broker is ready once the last topic of tools/kafka/topics.txt exists. */}}
{{- define "mercato.kafkaReady" -}}
kcat -L -b 127.0.0.1:9092 -m 3 | grep -q 'topic "mercato.deadletter.v1"'
{{- end -}}

{{- define "mercato.configData" -}}
{{- $ctx := .ctx -}}
{{- $topology := include "mercato.topology" $ctx | fromYaml -}}
{{- $t := get $topology .svc -}}
{{- $data := dict -}}
{{- if eq $t.kind "http" -}}
{{- $_ := set $data "MERCATO_HTTP_PORT" (toString $t.port) -}}
{{- else -}}
{{- $_ := set $data "MERCATO_GRPC_PORT" (toString $t.port) -}}
{{- end -}}
{{- $_ := set $data "MERCATO_ADMIN_PORT" (toString $t.adminPort) -}}
{{- $_ := set $data "MERCATO_LOG_LEVEL" (toString $ctx.Values.logLevel) -}}
{{- $_ := set $data "MERCATO_SHUTDOWN_GRACE_MS" (toString (int $ctx.Values.shutdown.graceMs)) -}}
{{- range $t.calls -}}
{{- $callee := get $topology . -}}
{{- $_ := set $data (printf "MERCATO_%s_ADDR" (upper .)) (printf "%s:%v" (include "mercato.name" (dict "ctx" $ctx "name" .)) $callee.port) -}}
{{- end -}}
{{- if $t.kafka -}}
{{- $_ := set $data "MERCATO_KAFKA_BROKERS" (include "mercato.kafkaBootstrapServers" $ctx) -}}
{{- end -}}
{{- if eq .svc "notification" -}}
{{- $_ := set $data "MERCATO_SMTP_URL" $ctx.Values.notification.smtp.url -}}
{{- end -}}
{{- if and (eq .svc "gateway") $ctx.Values.gateway.trustedProxies -}}
{{- $_ := set $data "MERCATO_TRUSTED_PROXIES" (join "," $ctx.Values.gateway.trustedProxies) -}}
{{- end -}}
{{- range $k, $v := (get $ctx.Values .svc).config -}}
{{- $_ := set $data $k (toString $v) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* Pod labels and annotations the service-mesh toggles add. Call with the root context. */}}
{{- define "mercato.meshPodLabels" -}}
{{- if .Values.istio.enabled }}
sidecar.istio.io/inject: "true"
{{- end }}
{{- end -}}

{{- define "mercato.meshPodAnnotations" -}}
{{- $drain := add (int .Values.shutdown.preStopSeconds) (div (add (int .Values.shutdown.graceMs) 999) 1000) -}}
{{- if .Values.istio.enabled }}
# The sidecar starts before and outlives the service's own drain.
proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true, "terminationDrainDuration": "{{ $drain }}s"}'
{{- end }}
{{- if .Values.linkerd.enabled }}
linkerd.io/inject: enabled
config.alpha.linkerd.io/proxy-wait-before-exit-seconds: "{{ $drain }}"
{{- end }}
{{- end -}}

{{/* What the checksum/secret annotation covers: the chart-managed secret values. */}}
{{- define "mercato.secretChecksumInput" -}}
{{- toYaml (list .Values.secrets .Values.postgresql.auth .Values.redis.auth .Values.externalDatabase .Values.externalRedis.url .Values.externalRedis.existingSecret) -}}
{{- end -}}

{{/* The bundled Redis's configuration (the password is not in it: see mercato.redisStart).
Only guest carts have an expiry, so volatile-lru evicts the least recently used guest carts
under memory pressure and never a signed-in shopper's cart; with nothing evictable left,
writes fail (the cart answers 503) rather than a cart being dropped silently. */}}
{{- define "mercato.redisConf" -}}
# Rendered by the Helm chart (redis.maxmemory, redis.maxmemoryPolicy). The password is not in
# this file: the container writes it from the Secret at start into /tmp/redis/auth.conf.
port 6379
dir /data
# Append-only file: carts survive a restart.
appendonly yes
save ""
maxmemory {{ .Values.redis.maxmemory }}
maxmemory-policy {{ .Values.redis.maxmemoryPolicy }}
include /tmp/redis/auth.conf
{{- end -}}

{{/* The bundled Redis's start: requirepass from the Secret's file, then the server. printf
is a shell builtin: the password is in no process's arguments. */}}
{{- define "mercato.redisStart" -}}
umask 077 && mkdir -p /tmp/redis && printf 'requirepass %s\n' "$(cat /run/secrets/redis/redis-password)" > /tmp/redis/auth.conf && exec redis-server /etc/redis/redis.conf
{{- end -}}

{{/* A probe of the bundled Redis, authenticated from the Secret's file. */}}
{{- define "mercato.redisPing" -}}
REDISCLI_AUTH="$(cat /run/secrets/redis/redis-password)" redis-cli ping | grep -q PONG
{{- end -}}

{{/* Whether a worker scales with a KEDA ScaledObject: (dict "ctx" $ "name" "fulfillment"). */}}
{{- define "mercato.kedaEnabled" -}}
{{- $svc := get .ctx.Values .name -}}
{{- if and (hasKey $svc.autoscaling "keda") $svc.autoscaling.keda.enabled -}}true{{- end -}}
{{- end -}}

{{/* Whether something other than the Deployment owns the replica count (an HPA or KEDA). */}}
{{- define "mercato.autoscaled" -}}
{{- if or .ctx.Values.autoscaling.enabled (include "mercato.kedaEnabled" .) -}}true{{- end -}}
{{- end -}}

{{/* Whether any enabled worker scales with KEDA (the bundled broker then admits the operator). */}}
{{- define "mercato.anyKeda" -}}
{{- range $name := include "mercato.serviceNames" . | fromYamlArray -}}
{{- if include "mercato.kedaEnabled" (dict "ctx" $ "name" $name) -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* The Secret of the notification worker's SMTP login: notification.smtp.existingSecret, else
the app Secret (the chart's holds an empty smtp-password: no login). */}}
{{- define "mercato.smtpSecretName" -}}
{{- .Values.notification.smtp.existingSecret | default (include "mercato.appSecretName" .) -}}
{{- end -}}

{{- define "mercato.smtpPasswordKey" -}}
{{- ternary .Values.notification.smtp.passwordKey "smtp-password" (not (empty .Values.notification.smtp.existingSecret)) -}}
{{- end -}}

{{/* The SMTP server's port, for the egress NetworkPolicy: the one in notification.smtp.url, else
25 (smtp://) or 465 (smtps://). */}}
{{- define "mercato.smtpPort" -}}
{{- $url := .Values.notification.smtp.url -}}
{{- $port := regexFind ":[0-9]+/?$" $url | trimPrefix ":" | trimSuffix "/" -}}
{{- $port | default (ternary "465" "25" (hasPrefix "smtps://" $url)) -}}
{{- end -}}
