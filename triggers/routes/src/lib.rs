//! The routing table, written once and used twice: the local host builds its
//! in-process bus subscriptions from it, and the Knative manifests in
//! `knative/` are generated from it (a test fails when they drift apart).

use homeguard_domain::Topic;

/// One function's subscription to one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The topic consumed.
    pub topic: Topic,
    /// The function (its binary, and its Knative service) that handles it.
    pub function: &'static str,
    /// The consumer group: offsets are committed under this name.
    pub consumer: &'static str,
    /// Where the function takes this topic's messages as CloudEvents.
    pub path: &'static str,
}

pub const ROUTES: &[Route] = &[
    Route { topic: Topic::DeviceEvents, function: "hg-fn-events", consumer: "event-store", path: "/ce/device-events" },
    Route { topic: Topic::DeviceEvents, function: "hg-fn-state", consumer: "device-state", path: "/ce/device-events" },
    Route { topic: Topic::DeviceHeartbeats, function: "hg-fn-state", consumer: "device-state", path: "/ce/heartbeats" },
    Route { topic: Topic::DeviceEvents, function: "hg-fn-readings", consumer: "readings", path: "/ce/device-events" },
    Route { topic: Topic::DeviceHeartbeats, function: "hg-fn-readings", consumer: "readings", path: "/ce/heartbeats" },
    Route {
        topic: Topic::DeviceCommands,
        function: "hg-fn-commands",
        consumer: "device-commands",
        path: "/ce/commands",
    },
];

/// A function deployed as its own Knative service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// The binary and the Knative service name.
    pub name: &'static str,
    /// What it does, for the manifest's description.
    pub description: &'static str,
    /// Whether it must always have an instance (a bus consumer or a
    /// WebSocket server should not scale to zero).
    pub always_on: bool,
}

pub const FUNCTIONS: &[Function] = &[
    Function { name: "hg-fn-auth", description: "Login and logout", always_on: false },
    Function { name: "hg-fn-users", description: "Current user and user directory", always_on: false },
    Function { name: "hg-fn-devices", description: "Device registry", always_on: false },
    Function { name: "hg-fn-ingest", description: "Event, heartbeat and command ingest", always_on: true },
    Function { name: "hg-fn-events", description: "Event store and feed", always_on: true },
    Function { name: "hg-fn-state", description: "Device state and live publication", always_on: true },
    Function { name: "hg-fn-readings", description: "Sensor readings as time series", always_on: true },
    Function { name: "hg-fn-commands", description: "Carries out device commands", always_on: false },
    Function { name: "hg-fn-notify", description: "Live notification stream (WebSocket)", always_on: true },
    Function { name: "hg-fn-scenarios", description: "Demo scenarios, simulated clock and verifier", always_on: true },
];

const NAMESPACE: &str = "homeguard-apps";
/// The function whose `/ce/dead-letters/{topic}/{consumer}` takes what a
/// KafkaSource could not deliver, onto the topic's dead-letter topic.
const DEAD_LETTERS: &str = "hg-fn-ingest";
const KAFKA_BOOTSTRAP: &str = "homeguard-kafka-kafka-bootstrap.homeguard-messaging.svc:9092";

fn service(f: &Function) -> String {
    let min_scale = if f.always_on { 1 } else { 0 };
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
        name = f.name,
        description = f.description,
    )
}

fn source(r: &Route) -> String {
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
    retry: 10
    backoffPolicy: exponential
    backoffDelay: PT0.2S
    deadLetterSink:
      ref:
        apiVersion: serving.knative.dev/v1
        kind: Service
        name: {DEAD_LETTERS}
      uri: /ce/dead-letters/{topic}/{consumer}
  sink:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: {function}
    uri: {path}
"#,
        name = source_name(r),
        consumer = r.consumer,
        topic = r.topic.as_str(),
        function = r.function,
        path = r.path,
    )
}

/// The KafkaSource's name: topic and consumer, in DNS-label form.
pub fn source_name(r: &Route) -> String {
    format!("{}-to-{}", r.topic.as_str().replace('.', "-"), r.consumer)
}

/// The files of `knative/`, generated from the tables above.
pub fn knative_manifests() -> Vec<(&'static str, String)> {
    let header = "# Generated from triggers/routes (ROUTES and FUNCTIONS); do not edit.\n# Regenerate with: cargo run -p homeguard-host -- knative --out knative\n";
    let services: Vec<String> = FUNCTIONS.iter().map(service).collect();
    let sources: Vec<String> = ROUTES.iter().map(source).collect();
    vec![
        ("services.yaml", format!("{header}---\n{}", services.join("---\n"))),
        ("sources.yaml", format!("{header}---\n{}", sources.join("---\n"))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_route_goes_to_a_known_function_once() {
        let names: HashSet<_> = FUNCTIONS.iter().map(|f| f.name).collect();
        let mut seen = HashSet::new();
        for r in ROUTES {
            assert!(names.contains(r.function), "{} is not a function", r.function);
            assert!(seen.insert((r.topic, r.consumer)), "{} consumes {} twice", r.consumer, r.topic);
            assert!(r.path.starts_with("/ce/"));
            assert!(source_name(r).len() <= 63);
        }
    }

    #[test]
    fn the_committed_manifests_are_the_generated_ones() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knative");
        for (file, text) in knative_manifests() {
            let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
            assert!(
                committed == text,
                "knative/{file} differs from the routing table; regenerate it with `cargo run -p homeguard-host -- knative --out knative`"
            );
        }
    }
}
