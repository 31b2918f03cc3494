{{/* Common labels of every object. */}}
{{- define "jinguo.labels" -}}
app.kubernetes.io/part-of: jinguo
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* The selector labels of one component (a service name, "gateway"). */}}
{{- define "jinguo.selector" -}}
app.kubernetes.io/name: jinguo-{{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/* A service's in-cluster gRPC address. */}}
{{- define "jinguo.address" -}}
jinguo-{{ .name }}.{{ .root.Release.Namespace }}.svc:{{ (index .root.Values.services .name).grpcPort }}
{{- end }}

{{/* The Kafka bootstrap address of the TLS listener. */}}
{{- define "jinguo.kafkaBootstrap" -}}
{{ .Values.kafka.name }}-kafka-bootstrap.{{ .Release.Namespace }}.svc:{{ .Values.kafka.tlsPort }}
{{- end }}
