{{/*
Pod Security Standard "restricted" (plus a read-only root filesystem), checked rather than
trusted: the namespace enforces "restricted", so a pod that breaks it would be rejected at
admission time, long after `helm install` reported success. These helpers fail at render time
instead, naming the value to fix.

  securityContext: {{- include "mercato-lib.security.pod" (dict "value" .Values.podSecurityContext "path" "podSecurityContext") | nindent 8 }}
  securityContext: {{- include "mercato-lib.security.container" (dict "value" .Values.containerSecurityContext "path" "containerSecurityContext") | nindent 12 }}
*/}}

{{- define "mercato-lib.security.pod" -}}
{{- $v := .value | default dict -}}
{{- if not $v.runAsNonRoot -}}
{{- fail (printf "%s.runAsNonRoot must be true: the namespace enforces Pod Security \"restricted\"" .path) -}}
{{- end -}}
{{- if eq (toString ($v.runAsUser | default 1)) "0" -}}
{{- fail (printf "%s.runAsUser must not be 0 (root)" .path) -}}
{{- end -}}
{{- $seccomp := ($v.seccompProfile | default dict).type | default "" -}}
{{- if not (has $seccomp (list "RuntimeDefault" "Localhost")) -}}
{{- fail (printf "%s.seccompProfile.type must be RuntimeDefault or Localhost, not %q" .path $seccomp) -}}
{{- end -}}
{{- toYaml $v }}
{{- end -}}

{{- define "mercato-lib.security.container" -}}
{{- $v := .value | default dict -}}
{{- if ne (toString $v.allowPrivilegeEscalation) "false" -}}
{{- fail (printf "%s.allowPrivilegeEscalation must be false (Pod Security \"restricted\")" .path) -}}
{{- end -}}
{{- if $v.privileged -}}
{{- fail (printf "%s.privileged must be false (Pod Security \"restricted\")" .path) -}}
{{- end -}}
{{- if not $v.readOnlyRootFilesystem -}}
{{- fail (printf "%s.readOnlyRootFilesystem must be true" .path) -}}
{{- end -}}
{{- $caps := $v.capabilities | default dict -}}
{{- if not (has "ALL" ($caps.drop | default list)) -}}
{{- fail (printf "%s.capabilities.drop must contain ALL (Pod Security \"restricted\")" .path) -}}
{{- end -}}
{{- range ($caps.add | default list) -}}
{{- if ne . "NET_BIND_SERVICE" -}}
{{- fail (printf "%s.capabilities.add may only hold NET_BIND_SERVICE (Pod Security \"restricted\"), not %s" $.path .) -}}
{{- end -}}
{{- end -}}
{{- toYaml $v }}
{{- end -}}
