{{/*
Names. Every object of a release is called "<fullname>-<component>", e.g. "mercato-catalog".

  {{ include "mercato-lib.names.fullname" . }}                                  -> mercato
  {{ include "mercato-lib.names.component" (dict "ctx" $ "name" "catalog") }}  -> mercato-catalog
*/}}

{{- define "mercato-lib.names.chart" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release name, or "<release>-<chart>" when the release name does not contain the chart name. */}}
{{- define "mercato-lib.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "mercato-lib.names.chart" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "mercato-lib.names.component" -}}
{{- printf "%s-%s" (include "mercato-lib.names.fullname" .ctx) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mercato-lib.names.chartLabel" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}
