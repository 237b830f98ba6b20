{{/*
  checksum/config: {{ include "mercato-lib.util.checksum" (dict "ctx" $ "template" "mercato.configmap" "args" (dict "ctx" $ "svc" $svc)) }}
sha256 of what a named template renders: pods roll when their ConfigMap or Secret changes.
*/}}
{{- define "mercato-lib.util.checksum" -}}
{{- include .template .args | sha256sum -}}
{{- end -}}

{{/*
Collects validation messages and fails once with all of them, so an operator fixes every
problem in one round:
  {{- include "mercato-lib.util.failOnErrors" (list "message one" "") }}
Empty strings are ignored.
*/}}
{{- define "mercato-lib.util.failOnErrors" -}}
{{- $errors := list -}}
{{- range . -}}
{{- if . -}}{{- $errors = append $errors . -}}{{- end -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n\nINVALID VALUES:\n  - %s\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}
