{{- define "posture.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "posture.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "posture.labels" -}}
app.kubernetes.io/name: {{ include "posture.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "posture.selectorLabels" -}}
app.kubernetes.io/name: {{ include "posture.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The path Posture is served under: the path of server.baseUrl, without a trailing slash. */}}
{{- define "posture.basePath" -}}
{{- regexReplaceAll "^https?://[^/]+" (default "" .Values.server.baseUrl) "" | trimSuffix "/" -}}
{{- end -}}
