{{/* The release's full name: the release name when it already says secretsource-operator. */}}
{{- define "secretsource.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "secretsource.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "secretsource.labels" -}}
{{ include "secretsource.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "secretsource.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "secretsource.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The watched namespaces, each checked, in the order given, without repeats. */}}
{{- define "secretsource.watchNamespaces" -}}
{{- $seen := list -}}
{{- range .Values.watchNamespaces -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .) -}}
{{- fail (printf "watchNamespaces: %q is not a namespace name" .) -}}
{{- end -}}
{{- $seen = append $seen . | uniq -}}
{{- end -}}
{{- join "," $seen -}}
{{- end -}}

{{/* A RoleBinding or ClusterRoleBinding subject: the operator's ServiceAccount. */}}
{{- define "secretsource.subjects" -}}
subjects:
  - kind: ServiceAccount
    name: {{ include "secretsource.serviceAccountName" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}

{{/*
The operator's rights, as config/rbac/role.yaml grants them (that file names the code behind each
verb; docs/security.md explains them), split by scope so that namespaced mode can bind the
namespaced half per namespace. The chart test compares the two.
*/}}
{{- define "secretsource.namespacedRules" -}}
- apiGroups: [secretsource.dev]
  resources: [secretsources]
  verbs: [list, watch, patch]
- apiGroups: [secretsource.dev]
  resources: [secretproviders]
  verbs: [list, watch]
- apiGroups: [secretsource.dev]
  resources: [secretsources/status, secretproviders/status]
  verbs: [patch]
- apiGroups: ['']
  resources: [secrets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: ['']
  resources: [configmaps]
  verbs: [get]
- apiGroups: ['']
  resources: [serviceaccounts/token]
  verbs: [create]
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets]
  verbs: [patch]
- apiGroups: ['']
  resources: [events]
  verbs: [create]
{{- end -}}

{{- define "secretsource.clusterScopedRules" -}}
- apiGroups: [secretsource.dev]
  resources: [clustersecretproviders]
  verbs: [list, watch]
- apiGroups: [secretsource.dev]
  resources: [clustersecretproviders/status]
  verbs: [patch]
- apiGroups: ['']
  resources: [namespaces]
  verbs: [list, watch]
{{- end -}}
