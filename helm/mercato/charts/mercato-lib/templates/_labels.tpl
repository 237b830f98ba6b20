{{/*
Labels. "name" is the component (catalog, cart, ..., postgresql); "component" its role.

  labels: {{- include "mercato-lib.labels.standard" (dict "ctx" $ "name" "catalog" "component" "backend") | nindent 4 }}
  selector: {{- include "mercato-lib.labels.selector" (dict "ctx" $ "name" "catalog") | nindent 4 }}
*/}}

{{- define "mercato-lib.labels.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}

{{- define "mercato-lib.labels.standard" -}}
{{ include "mercato-lib.labels.selector" . }}
app.kubernetes.io/part-of: mercato
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ include "mercato-lib.names.chartLabel" .ctx }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata.annotations body from commonAnnotations merged with "extra"; empty when both are. */}}
{{- define "mercato-lib.annotations" -}}
{{- $all := merge (dict) (.extra | default dict) (.ctx.Values.commonAnnotations | default dict) -}}
{{- if $all }}
annotations:
  {{- toYaml $all | nindent 2 }}
{{- end }}
{{- end -}}
