//! Jaeger's rendered config files, parsed back through mirrors of the upstream configuration
//! that reject unknown keys (so a misspelt or invented key fails here, not in the pod), and
//! the retention chain checked end to end on the production render: cleaner days, index
//! prefix, lookback and replicas agree.

// The mirrors exist to accept exactly the upstream keys; not every field is asserted on.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::k8s::Object;
use crate::pipeline::{Compilation, compile_path};

// ---------------------------------------------------------------------------------------------
// Mirrors. OTel collector layout: go.opentelemetry.io/collector/otelcol config (service,
// extensions, receivers, processors, connectors, exporters); Jaeger's extensions and ES
// backend: jaegertracing/jaeger@v2.20.0 cmd/jaeger/internal/extension/jaegerstorage/config.go,
// jaegerquery/internal/flags.go, internal/storage/elasticsearch/config/config.go and
// config_rotation.go; Prometheus SPM backend: internal/config/promcfg/config.go.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    service: Service,
    extensions: Extensions,
    receivers: Receivers,
    processors: Processors,
    #[serde(default)]
    connectors: Option<Connectors>,
    exporters: Exporters,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Service {
    extensions: Vec<String>,
    pipelines: BTreeMap<String, Pipeline>,
    telemetry: Telemetry,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pipeline {
    receivers: Vec<String>,
    #[serde(default)]
    processors: Vec<String>,
    exporters: Vec<String>,
}

/// otelcol service telemetry: `metrics.{level, readers[].pull.exporter.prometheus.{host, port}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Telemetry {
    metrics: TelemetryMetrics,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TelemetryMetrics {
    level: String,
    readers: Vec<Reader>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reader {
    pull: Pull,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pull {
    exporter: PullExporter,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PullExporter {
    prometheus: HostPort,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostPort {
    host: String,
    port: u16,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Extensions {
    healthcheckv2: HealthCheck,
    jaeger_storage: Option<Storage>,
    jaeger_query: Option<Query>,
}

/// contrib extension/healthcheckv2extension config.go: `use_v2`, `http.{endpoint, status, config}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthCheck {
    use_v2: bool,
    http: Endpoint,
}

/// confighttp.ServerConfig / configgrpc.ServerConfig, as far as `endpoint`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Endpoint {
    endpoint: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Storage {
    backends: BTreeMap<String, Backend>,
    #[serde(default)]
    metric_backends: BTreeMap<String, MetricBackend>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Backend {
    elasticsearch: Elasticsearch,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Elasticsearch {
    server_urls: Vec<String>,
    max_span_age: String,
    auth: Option<Auth>,
    indices: Indices,
}

/// config.go `Authentication`: exactly one of basic, bearer_token, api_key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Auth {
    basic: Basic,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Basic {
    username: String,
    password_file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Indices {
    index_prefix: String,
    spans: Index,
    services: Index,
    dependencies: Index,
    sampling: Index,
}

/// config.go `IndexOptions`: priority, shards, replicas, rotation (the deprecated
/// `date_layout`/`rollover_frequency` at this level are refused here on purpose).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    shards: i64,
    replicas: i64,
    rotation: Rotation,
}

/// config_rotation.go `RotationConfig`: exactly one variant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotation {
    periodic: Periodic,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Periodic {
    date_layout: String,
    rollover_frequency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricBackend {
    prometheus: PrometheusBackend,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrometheusBackend {
    endpoint: String,
    normalize_calls: bool,
    normalize_duration: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    storage: QueryStorage,
    http: Endpoint,
    grpc: Endpoint,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryStorage {
    traces: String,
    metrics: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Receivers {
    otlp: Option<Otlp>,
    jaeger: Option<JaegerReceiver>,
    zipkin: Option<Endpoint>,
    nop: Option<Empty>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Otlp {
    protocols: OtlpProtocols,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OtlpProtocols {
    grpc: Endpoint,
    http: Endpoint,
}

/// contrib receiver/jaegerreceiver: protocols grpc, thrift_http, thrift_binary, thrift_compact.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JaegerReceiver {
    protocols: JaegerProtocols,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JaegerProtocols {
    grpc: Endpoint,
    thrift_http: Endpoint,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Processors {
    batch: Empty,
    memory_limiter: Option<MemoryLimiter>,
}

/// memorylimiterprocessor config.go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemoryLimiter {
    check_interval: String,
    limit_percentage: u32,
    spike_limit_percentage: u32,
}

/// contrib connector/spanmetricsconnector config.go, as far as the flush interval.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Connectors {
    spanmetrics: SpanMetrics,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpanMetrics {
    metrics_flush_interval: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exporters {
    jaeger_storage_exporter: Option<StorageExporter>,
    prometheus: Option<Endpoint>,
    otlp: Option<OtlpExporter>,
    nop: Option<Empty>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageExporter {
    trace_storage: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OtlpExporter {
    endpoint: String,
    tls: Tls,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tls {
    insecure: bool,
}

// ---------------------------------------------------------------------------------------------

fn production() -> Compilation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
    compile_path(Some(&path), &[])
        .expect("no internal error")
        .expect("production compiles")
}

fn config(c: &Compilation, name: &str) -> Config {
    let text = c
        .manifest
        .objects()
        .find_map(|o| match o {
            Object::ConfigMap(cm) if o.name() == name => {
                cm.data.as_ref()?.get("config.yaml").cloned()
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ConfigMap {name} with config.yaml"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"))
}

fn endpoints(c: &Config) -> Vec<&str> {
    let r = &c.receivers;
    let mut out = vec![c.extensions.healthcheckv2.http.endpoint.as_str()];
    if let Some(o) = &r.otlp {
        out.extend([
            o.protocols.grpc.endpoint.as_str(),
            o.protocols.http.endpoint.as_str(),
        ]);
    }
    if let Some(j) = &r.jaeger {
        out.extend([
            j.protocols.grpc.endpoint.as_str(),
            j.protocols.thrift_http.endpoint.as_str(),
        ]);
    }
    out.extend(r.zipkin.iter().map(|z| z.endpoint.as_str()));
    if let Some(q) = &c.extensions.jaeger_query {
        out.extend([q.http.endpoint.as_str(), q.grpc.endpoint.as_str()]);
    }
    out.extend(c.exporters.prometheus.iter().map(|p| p.endpoint.as_str()));
    out
}

/// Every component a pipeline names is configured, and every configured receiver is used.
fn pipelines_are_wired(name: &str, c: &Config) {
    let receivers = serde_json::json!({
        "otlp": c.receivers.otlp.is_some(), "jaeger": c.receivers.jaeger.is_some(),
        "zipkin": c.receivers.zipkin.is_some(), "nop": c.receivers.nop.is_some(),
        "spanmetrics": c.connectors.is_some(),
    });
    let exporters = serde_json::json!({
        "jaeger_storage_exporter": c.exporters.jaeger_storage_exporter.is_some(),
        "prometheus": c.exporters.prometheus.is_some(), "otlp": c.exporters.otlp.is_some(),
        "nop": c.exporters.nop.is_some(), "spanmetrics": c.connectors.is_some(),
    });
    for (pipeline, p) in &c.service.pipelines {
        for r in &p.receivers {
            assert_eq!(
                receivers[r], true,
                "{name}: pipeline {pipeline} reads unconfigured {r}"
            );
        }
        for e in &p.exporters {
            assert_eq!(
                exporters[e], true,
                "{name}: pipeline {pipeline} writes unconfigured {e}"
            );
        }
        for proc in &p.processors {
            let configured = proc == "batch"
                || (proc == "memory_limiter" && c.processors.memory_limiter.is_some());
            assert!(
                configured,
                "{name}: pipeline {pipeline} uses unconfigured {proc}"
            );
        }
    }
    for ext in &c.service.extensions {
        let configured = match ext.as_str() {
            "healthcheckv2" => true,
            "jaeger_storage" => c.extensions.jaeger_storage.is_some(),
            "jaeger_query" => c.extensions.jaeger_query.is_some(),
            _ => false,
        };
        assert!(configured, "{name}: extension {ext} is not configured");
    }
}

#[test]
fn every_role_config_parses_back_and_listens_on_all_interfaces() {
    let c = production();
    for name in ["jaeger-collector", "jaeger-query", "jaeger-agent"] {
        let cfg = config(&c, name);
        pipelines_are_wired(name, &cfg);
        for e in endpoints(&cfg) {
            assert!(
                e.starts_with("0.0.0.0:"),
                "{name}: endpoint {e} is not 0.0.0.0:PORT"
            );
        }
        let telemetry = &cfg.service.telemetry.metrics.readers[0]
            .pull
            .exporter
            .prometheus;
        assert_eq!((telemetry.host.as_str(), telemetry.port), ("0.0.0.0", 8888));
        assert!(cfg.extensions.healthcheckv2.use_v2);
    }
    // The agent forwards to the collector's OTLP/gRPC Service port.
    let agent = config(&c, "jaeger-agent");
    let otlp = agent.exporters.otlp.expect("the agent exports OTLP");
    assert_eq!(otlp.endpoint, "jaeger-collector.monitoring.svc:4317");
    assert!(otlp.tls.insecure);
    // The query reads span metrics from the rendered Prometheus, normalized names.
    let query = config(&c, "jaeger-query");
    let storage = query.extensions.jaeger_storage.expect("query has storage");
    let spm = &storage.metric_backends["prometheus_spm"].prometheus;
    assert_eq!(spm.endpoint, "http://prometheus.monitoring.svc:9090");
    assert!(spm.normalize_calls && spm.normalize_duration);
    let q = query.extensions.jaeger_query.expect("jaeger_query");
    assert_eq!(q.storage.traces, "es_main");
    assert_eq!(q.storage.metrics.as_deref(), Some("prometheus_spm"));
}

#[test]
fn a_misspelt_key_is_refused_by_the_mirror() {
    let text = "use_v2: true\nhttp: {endpoint: 0.0.0.0:13133}\nendpont: x\n";
    assert!(serde_yaml_ng::from_str::<HealthCheck>(text).is_err());
    // The deprecated (pre-rotation) index keys are refused too.
    let legacy = "shards: 1\nreplicas: 0\ndate_layout: '2006-01-02'\nrotation: {periodic: {date_layout: '2006-01-02', rollover_frequency: day}}\n";
    assert!(serde_yaml_ng::from_str::<Index>(legacy).is_err());
}

/// The CronJob, its container args and env.
fn cleaner(c: &Compilation) -> (Vec<String>, BTreeMap<String, Option<String>>, String) {
    let cron = c
        .manifest
        .objects()
        .find_map(|o| match o {
            Object::CronJob(cj) if o.name() == "jaeger-es-index-cleaner" => Some(cj.clone()),
            _ => None,
        })
        .expect("the index cleaner CronJob is rendered");
    let spec = cron.spec.expect("spec");
    let pod = spec
        .job_template
        .spec
        .expect("job")
        .template
        .spec
        .expect("pod");
    let container = &pod.containers[0];
    let env = container
        .env
        .iter()
        .flatten()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect();
    (
        container.args.clone().unwrap_or_default(),
        env,
        spec.schedule,
    )
}

#[test]
fn span_retention_is_enforced_by_the_cleaner_and_covered_by_the_lookback() {
    let c = production();
    let (args, env, schedule) = cleaner(&c);
    assert_eq!(schedule, "55 23 * * *");
    assert_eq!(
        args.len(),
        2,
        "es-index-cleaner takes NUM_OF_DAYS and the URL: {args:?}"
    );
    assert_eq!(args[0], "7", "production keeps 7 days of spans");
    for name in ["jaeger-collector", "jaeger-query"] {
        let cfg = config(&c, name);
        let storage = cfg.extensions.jaeger_storage.expect("storage");
        let es = &storage.backends["es_main"].elasticsearch;
        assert_eq!(
            es.server_urls,
            vec![args[1].clone()],
            "{name} and the cleaner use one ES"
        );
        assert_eq!(
            env.get("INDEX_PREFIX").cloned().flatten().as_deref(),
            Some(es.indices.index_prefix.as_str()),
            "the cleaner deletes the indices {name} writes"
        );
        assert_eq!(
            es.max_span_age, "168h",
            "{name}: lookback covers the 7d retention"
        );
        for index in [
            &es.indices.spans,
            &es.indices.services,
            &es.indices.dependencies,
            &es.indices.sampling,
        ] {
            assert_eq!(index.replicas, 0, "one node cannot hold replicas");
            assert_eq!(index.shards, 1);
            assert_eq!(index.rotation.periodic.rollover_frequency, "day");
            assert_eq!(index.rotation.periodic.date_layout, "2006-01-02");
        }
        // The password comes from the mounted Secret, never inline.
        let auth = es.auth.as_ref().expect("production sets an ES password");
        assert_eq!(auth.basic.username, "elastic");
        assert_eq!(auth.basic.password_file, "/etc/jaeger/es/password");
    }
    assert_eq!(
        env.get("ES_USERNAME").cloned().flatten().as_deref(),
        Some("elastic")
    );
    assert_eq!(
        env.get("ES_PASSWORD"),
        Some(&None),
        "the password is a secretKeyRef"
    );
}

#[test]
fn lookback_shorter_than_retention_and_partial_days_are_refused() {
    let j: super::Jaeger =
        toml::from_str("retention = \"7d\"\nquery_lookback = \"72h\"\n").unwrap();
    let p = crate::components::Component::check(&j, &crate::model::Stack::default());
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key, "jaeger.query_lookback");
    assert_eq!(
        p[0].diagnostic.code,
        crate::diag::Code::LookbackBelowRetention
    );
    let j: super::Jaeger = toml::from_str("retention = \"36h\"\n").unwrap();
    let p = crate::components::Component::check(&j, &crate::model::Stack::default());
    assert_eq!(p[0].key, "jaeger.retention");
    let j: super::Jaeger = toml::from_str("retention = \"3d\"\n").unwrap();
    assert_eq!(j.retention_days(), 3);
    assert_eq!(j.lookback().as_str(), "3d");
}

#[test]
fn the_node_agent_is_reached_node_locally_without_host_access() {
    let c = production();
    let mut found = (false, false);
    for o in c.manifest.objects().filter(|o| o.name() == "jaeger-agent") {
        assert_eq!(
            o.namespace(),
            Some("monitoring"),
            "the agent stays in the stack namespace"
        );
        match o {
            Object::Service(s) => {
                let spec = s.spec.as_ref().expect("spec");
                assert_eq!(spec.internal_traffic_policy.as_deref(), Some("Local"));
                found.0 = true;
            }
            Object::DaemonSet(_) => {
                let pod = o.pod_template().and_then(|t| t.spec.as_ref()).expect("pod");
                assert_ne!(pod.host_network, Some(true));
                assert!(pod.volumes.iter().flatten().all(|v| v.host_path.is_none()));
                let ports = pod.containers.iter().flat_map(|c| c.ports.iter().flatten());
                assert!(ports.clone().all(|p| p.host_port.is_none()), "no hostPort");
                found.1 = true;
            }
            _ => {}
        }
    }
    assert_eq!(
        found,
        (true, true),
        "the agent's Service and DaemonSet are rendered"
    );
}
