//! The Knative manifests in `knative/`, generated from the functions'
//! declarations: a Service per function, a KafkaSource per subscription
//! (its consumer group the function's name, its delivery the same policy
//! as the host's consumers, its dead-letter sink the function that
//! declares itself the sink). A test fails when the committed files drift.

use homeguard_domain::Topic;
use homeguard_runtime::Declared;
use homeguard_runtime::function::{DELIVERY, cloudevents_path};

const NAMESPACE: &str = "homeguard-apps";
const KAFKA_BOOTSTRAP: &str = "homeguard-kafka-kafka-bootstrap.homeguard-messaging.svc:9092";

fn service(f: &dyn Declared) -> String {
    let min_scale = if f.always_on() { 1 } else { 0 };
    format!(
        r#"apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {name}
  namespace: {NAMESPACE}
  labels:
    app.kubernetes.io/part-of: homeguard
  annotations:
    homeguard.dev/description: "{description}"
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/min-scale: "{min_scale}"
        autoscaling.knative.dev/max-scale: "10"
    spec:
      containerConcurrency: 0
      containers:
        - name: {name}
          image: homeguard/{name}:latest
          ports:
            - containerPort: 8080
          envFrom:
            - configMapRef:
                name: homeguard-config
            - secretRef:
                name: homeguard-secrets
          readinessProbe:
            httpGet:
              path: /health/readiness
          livenessProbe:
            httpGet:
              path: /health/liveness
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
"#,
        name = f.name(),
        description = f.description(),
    )
}

fn source(function: &str, topic: Topic, sink: &str) -> String {
    let retry = DELIVERY.retries;
    let backoff = DELIVERY.first_backoff.as_secs_f64();
    format!(
        r#"apiVersion: sources.knative.dev/v1beta1
kind: KafkaSource
metadata:
  name: {name}
  namespace: {NAMESPACE}
  labels:
    app.kubernetes.io/part-of: homeguard
spec:
  consumerGroup: {consumer}
  bootstrapServers:
    - {KAFKA_BOOTSTRAP}
  topics:
    - {topic}
  initialOffset: earliest
  delivery:
    retry: {retry}
    backoffPolicy: exponential
    backoffDelay: PT{backoff}S
    deadLetterSink:
      ref:
        apiVersion: serving.knative.dev/v1
        kind: Service
        name: {sink}
      uri: /ce/dead-letters/{topic}/{function}
  sink:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: {function}
    uri: {path}
"#,
        name = source_name(function, topic),
        consumer = function,
        topic = topic.as_str(),
        path = cloudevents_path(topic),
    )
}

/// The KafkaSource's name: topic and consumer, in DNS-label form.
pub fn source_name(function: &str, topic: Topic) -> String {
    format!("{}-to-{}", topic.as_str().replace('.', "-"), function)
}

/// The files of `knative/`.
pub fn manifests(functions: &[Box<dyn Declared>]) -> Vec<(&'static str, String)> {
    let header = "# Generated from the functions' declarations (triggers/host/src/knative.rs); do not edit.\n# Regenerate with: cargo run -p homeguard-host -- knative --out knative\n";
    let sinks: Vec<&str> = functions.iter().filter(|f| f.dead_letter_sink()).map(|f| f.name()).collect();
    assert_eq!(sinks.len(), 1, "exactly one function is the dead-letter sink: {sinks:?}");
    let services: Vec<String> = functions.iter().map(|f| service(f.as_ref())).collect();
    let sources: Vec<String> =
        functions.iter().flat_map(|f| f.topics().into_iter().map(|t| source(f.name(), t, sinks[0]))).collect();
    vec![
        ("services.yaml", format!("{header}---\n{}", services.join("---\n"))),
        ("sources.yaml", format!("{header}---\n{}", sources.join("---\n"))),
    ]
}
