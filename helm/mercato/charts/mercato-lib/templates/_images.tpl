{{/*
Image reference: [registry/]repository(:tag|@digest). The tag defaults to the chart's appVersion.

  image: {{ include "mercato-lib.images.image" (dict "registry" .Values.image.registry "repository" "mercato/catalog" "tag" .Values.image.tag "digest" "" "ctx" $) }}
*/}}
{{- define "mercato-lib.images.image" -}}
{{- $repo := .repository -}}
{{- if .registry -}}
{{- $repo = printf "%s/%s" (trimSuffix "/" .registry) .repository -}}
{{- end -}}
{{- if .digest -}}
{{- printf "%s@%s" $repo .digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString (.tag | default .ctx.Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}

{{- define "mercato-lib.images.pullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
