//! Jaeger v2's configuration file in typed form: the OpenTelemetry Collector layout
//! (extensions, receivers, processors, connectors, exporters, service pipelines) with Jaeger's
//! own extensions. One builder per role (collector, query, node agent); `templates::yaml_of`
//! writes them. Keys follow jaegertracing/jaeger@v2.20.0 `cmd/jaeger/config-elasticsearch.yaml`,
//! `cmd/jaeger/config-query.yaml`, `cmd/jaeger/config-spm.yaml`,
//! `internal/storage/elasticsearch/config/config.go` and `config_rotation.go` (rotation
//! `periodic`, the non-deprecated form), and opentelemetry-collector-contrib's healthcheckv2
//! and spanmetrics READMEs. `tests.rs` parses the output back through independent mirrors of
//! those sources that reject unknown keys.
//!
//! Every receiver and extension endpoint is explicit `0.0.0.0:PORT`: the collector binds
//! an unset endpoint to localhost only (`component.UseLocalHostAsDefaultHost`), and the pod
//! would accept nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ports;
use crate::contrib::BasicAuth;
use crate::model::Duration;

/// Name of the storage backend in `jaeger_storage.backends`.
pub const STORE: &str = "es_main";
/// Name of the metrics backend the Monitor tab reads (`jaeger_storage.metric_backends`).
pub const METRICS_STORE: &str = "prometheus_spm";
/// Where the Elasticsearch password file is mounted.
pub const PASSWORD_DIR: &str = "/etc/jaeger/es";

#[derive(Debug, Serialize)]
pub struct Config {
    pub service: Service,
    pub extensions: Extensions,
    pub receivers: Receivers,
    pub processors: Processors,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connectors: Option<Connectors>,
    pub exporters: Exporters,
}

#[derive(Debug, Serialize)]
pub struct Service {
    pub extensions: Vec<&'static str>,
    pub pipelines: BTreeMap<&'static str, Pipeline>,
    pub telemetry: Telemetry,
}

#[derive(Debug, Serialize)]
pub struct Pipeline {
    pub receivers: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub processors: Vec<&'static str>,
    pub exporters: Vec<&'static str>,
}

/// The binary's own metrics (`otelcol_*`), pulled by Prometheus.
#[derive(Debug, Serialize)]
pub struct Telemetry {
    pub metrics: TelemetryMetrics,
}

#[derive(Debug, Serialize)]
pub struct TelemetryMetrics {
    pub level: &'static str,
    pub readers: Vec<Reader>,
}

#[derive(Debug, Serialize)]
pub struct Reader {
    pub pull: Pull,
}

#[derive(Debug, Serialize)]
pub struct Pull {
    pub exporter: PullExporter,
}

#[derive(Debug, Serialize)]
pub struct PullExporter {
    pub prometheus: HostPort,
}

#[derive(Debug, Serialize)]
pub struct HostPort {
    pub host: &'static str,
    pub port: i32,
}

#[derive(Debug, Default, Serialize)]
pub struct Extensions {
    pub healthcheckv2: HealthCheck,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jaeger_storage: Option<Storage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jaeger_query: Option<Query>,
}

#[derive(Debug, Serialize)]
pub struct HealthCheck {
    pub use_v2: bool,
    pub http: Endpoint,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            use_v2: true,
            http: Endpoint::any(ports::HEALTH),
        }
    }
}

/// `endpoint: 0.0.0.0:PORT` (or a remote `host:port` for exporters).
#[derive(Debug, Serialize)]
pub struct Endpoint {
    pub endpoint: String,
}

impl Endpoint {
    pub fn any(port: i32) -> Endpoint {
        Endpoint {
            endpoint: format!("0.0.0.0:{port}"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Storage {
    pub backends: BTreeMap<&'static str, Backend>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metric_backends: BTreeMap<&'static str, MetricBackend>,
}

#[derive(Debug, Serialize)]
pub struct Backend {
    pub elasticsearch: Elasticsearch,
}

#[derive(Debug, Serialize)]
pub struct Elasticsearch {
    pub server_urls: Vec<String>,
    /// How far back the query looks (default 72h): at least the retention.
    pub max_span_age: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    pub indices: Indices,
}

#[derive(Debug, Serialize)]
pub struct Auth {
    pub basic: Basic,
}

#[derive(Debug, Serialize)]
pub struct Basic {
    pub username: String,
    pub password_file: String,
}

#[derive(Debug, Serialize)]
pub struct Indices {
    /// Indices are `<prefix>-jaeger-span-YYYY-MM-DD`; the index cleaner uses the same prefix.
    pub index_prefix: String,
    pub spans: Index,
    pub services: Index,
    pub dependencies: Index,
    pub sampling: Index,
}

#[derive(Debug, Serialize)]
pub struct Index {
    pub shards: i64,
    /// What the span store can hold: 0 on one node (a replica could never be allocated and
    /// the cluster would stay yellow), 1 on a cluster.
    pub replicas: i64,
    pub rotation: Rotation,
}

#[derive(Debug, Serialize)]
pub struct Rotation {
    pub periodic: Periodic,
}

#[derive(Debug, Serialize)]
pub struct Periodic {
    pub date_layout: &'static str,
    pub rollover_frequency: &'static str,
}

impl Index {
    /// One shard, `replicas` copies, a new index every day (what the daily cleaner deletes).
    fn daily(replicas: i64) -> Index {
        Index {
            shards: 1,
            replicas,
            rotation: Rotation {
                periodic: Periodic {
                    date_layout: "2006-01-02",
                    rollover_frequency: "day",
                },
            },
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MetricBackend {
    pub prometheus: PrometheusBackend,
}

/// Span metrics for the Monitor tab. The OTel Prometheus exporter appends `_total` and the
/// unit, so both names are normalized (`traces_span_metrics_calls_total`,
/// `traces_span_metrics_duration_milliseconds_bucket`).
#[derive(Debug, Serialize)]
pub struct PrometheusBackend {
    pub endpoint: String,
    pub normalize_calls: bool,
    pub normalize_duration: bool,
}

#[derive(Debug, Serialize)]
pub struct Query {
    pub storage: QueryStorage,
    pub http: Endpoint,
    pub grpc: Endpoint,
}

#[derive(Debug, Serialize)]
pub struct QueryStorage {
    pub traces: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
pub struct Receivers {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp: Option<Otlp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jaeger: Option<JaegerReceiver>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zipkin: Option<Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nop: Option<Empty>,
}

#[derive(Debug, Default, Serialize)]
pub struct Empty {}

#[derive(Debug, Serialize)]
pub struct Otlp {
    pub protocols: OtlpProtocols,
}

#[derive(Debug, Serialize)]
pub struct OtlpProtocols {
    pub grpc: Endpoint,
    pub http: Endpoint,
}

#[derive(Debug, Serialize)]
pub struct JaegerReceiver {
    pub protocols: JaegerProtocols,
}

#[derive(Debug, Serialize)]
pub struct JaegerProtocols {
    pub grpc: Endpoint,
    pub thrift_http: Endpoint,
}

#[derive(Debug, Default, Serialize)]
pub struct Processors {
    pub batch: Empty,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limiter: Option<MemoryLimiter>,
}

/// Refuses data before the container's memory limit is reached (a refusal is retried by the
/// sender; an OOM kill loses every span in flight).
#[derive(Debug, Serialize)]
pub struct MemoryLimiter {
    pub check_interval: &'static str,
    pub limit_percentage: u32,
    pub spike_limit_percentage: u32,
}

impl Default for MemoryLimiter {
    fn default() -> Self {
        MemoryLimiter {
            check_interval: "1s",
            limit_percentage: 80,
            spike_limit_percentage: 25,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Connectors {
    pub spanmetrics: SpanMetrics,
}

/// RED metrics from spans. Flushed every 15s (the factory default is 60s) so rates over 5m
/// windows see enough points.
#[derive(Debug, Serialize)]
pub struct SpanMetrics {
    pub metrics_flush_interval: &'static str,
}

#[derive(Debug, Default, Serialize)]
pub struct Exporters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jaeger_storage_exporter: Option<StorageExporter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp: Option<OtlpExporter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nop: Option<Empty>,
}

#[derive(Debug, Serialize)]
pub struct StorageExporter {
    pub trace_storage: &'static str,
}

#[derive(Debug, Serialize)]
pub struct OtlpExporter {
    pub endpoint: String,
    pub tls: Tls,
}

#[derive(Debug, Serialize)]
pub struct Tls {
    pub insecure: bool,
}

/// What every role's storage needs to know.
pub struct StoreSettings<'a> {
    pub url: String,
    pub lookback: &'a Duration,
    pub index_prefix: &'a str,
    pub auth: Option<&'a BasicAuth>,
    /// Replicas of each index, as the span store offers them.
    pub index_replicas: i64,
}

fn telemetry() -> Telemetry {
    Telemetry {
        metrics: TelemetryMetrics {
            level: "detailed",
            readers: vec![Reader {
                pull: Pull {
                    exporter: PullExporter {
                        prometheus: HostPort {
                            host: "0.0.0.0",
                            port: ports::METRICS,
                        },
                    },
                },
            }],
        },
    }
}

/// Go's duration syntax for `max_span_age` (hours: Go has no days).
fn go_hours(d: &Duration) -> String {
    format!("{}h", d.millis().div_ceil(3_600_000))
}

fn backend(s: &StoreSettings<'_>) -> Backend {
    Backend {
        elasticsearch: Elasticsearch {
            server_urls: vec![s.url.clone()],
            max_span_age: go_hours(s.lookback),
            auth: s.auth.map(|a| Auth {
                basic: Basic {
                    username: a.username.clone(),
                    password_file: format!("{PASSWORD_DIR}/{}", a.key),
                },
            }),
            indices: Indices {
                index_prefix: s.index_prefix.to_string(),
                spans: Index::daily(s.index_replicas),
                services: Index::daily(s.index_replicas),
                dependencies: Index::daily(s.index_replicas),
                sampling: Index::daily(s.index_replicas),
            },
        },
    }
}

fn storage(s: &StoreSettings<'_>, spm: Option<String>) -> Storage {
    Storage {
        backends: BTreeMap::from([(STORE, backend(s))]),
        metric_backends: spm
            .map(|endpoint| {
                (
                    METRICS_STORE,
                    MetricBackend {
                        prometheus: PrometheusBackend {
                            endpoint,
                            normalize_calls: true,
                            normalize_duration: true,
                        },
                    },
                )
            })
            .into_iter()
            .collect(),
    }
}

fn otlp() -> Otlp {
    Otlp {
        protocols: OtlpProtocols {
            grpc: Endpoint::any(ports::OTLP_GRPC),
            http: Endpoint::any(ports::OTLP_HTTP),
        },
    }
}

/// The collector: OTLP, Jaeger and Zipkin in, Elasticsearch out; with `span_metrics`, RED
/// metrics per service and operation on the spanmetrics port.
pub fn collector(store: &StoreSettings<'_>, span_metrics: bool) -> Config {
    let mut exporters = vec!["jaeger_storage_exporter"];
    let mut pipelines = BTreeMap::new();
    if span_metrics {
        exporters.push("spanmetrics");
        pipelines.insert(
            "metrics/spanmetrics",
            Pipeline {
                receivers: vec!["spanmetrics"],
                processors: Vec::new(),
                exporters: vec!["prometheus"],
            },
        );
    }
    pipelines.insert(
        "traces",
        Pipeline {
            receivers: vec!["otlp", "jaeger", "zipkin"],
            processors: vec!["memory_limiter", "batch"],
            exporters,
        },
    );
    Config {
        service: Service {
            extensions: vec!["healthcheckv2", "jaeger_storage"],
            pipelines,
            telemetry: telemetry(),
        },
        extensions: Extensions {
            jaeger_storage: Some(storage(store, None)),
            ..Extensions::default()
        },
        receivers: Receivers {
            otlp: Some(otlp()),
            jaeger: Some(JaegerReceiver {
                protocols: JaegerProtocols {
                    grpc: Endpoint::any(ports::JAEGER_GRPC),
                    thrift_http: Endpoint::any(ports::JAEGER_HTTP),
                },
            }),
            zipkin: Some(Endpoint::any(ports::ZIPKIN)),
            ..Receivers::default()
        },
        processors: Processors {
            memory_limiter: Some(MemoryLimiter::default()),
            ..Processors::default()
        },
        connectors: span_metrics.then_some(Connectors {
            spanmetrics: SpanMetrics {
                metrics_flush_interval: "15s",
            },
        }),
        exporters: Exporters {
            jaeger_storage_exporter: Some(StorageExporter {
                trace_storage: STORE,
            }),
            prometheus: span_metrics.then(|| Endpoint::any(ports::SPAN_METRICS)),
            ..Exporters::default()
        },
    }
}

/// The query service: UI and API over the same indices. A pipeline is still required, so it
/// runs `nop` to `nop` (upstream `cmd/jaeger/config-query.yaml`). `spm` is the Prometheus URL
/// the Monitor tab reads span metrics from.
pub fn query(store: &StoreSettings<'_>, spm: Option<String>) -> Config {
    let metrics = spm.is_some().then_some(METRICS_STORE);
    Config {
        service: Service {
            extensions: vec!["healthcheckv2", "jaeger_storage", "jaeger_query"],
            pipelines: BTreeMap::from([(
                "traces",
                Pipeline {
                    receivers: vec!["nop"],
                    processors: vec!["batch"],
                    exporters: vec!["nop"],
                },
            )]),
            telemetry: telemetry(),
        },
        extensions: Extensions {
            jaeger_storage: Some(storage(store, spm)),
            jaeger_query: Some(Query {
                storage: QueryStorage {
                    traces: STORE,
                    metrics,
                },
                http: Endpoint::any(ports::QUERY_HTTP),
                grpc: Endpoint::any(ports::QUERY_GRPC),
            }),
            ..Extensions::default()
        },
        receivers: Receivers {
            nop: Some(Empty {}),
            ..Receivers::default()
        },
        processors: Processors::default(),
        connectors: None,
        exporters: Exporters {
            nop: Some(Empty {}),
            ..Exporters::default()
        },
    }
}

/// The node agent: OTLP from the pods of its node, batched and forwarded to the collector
/// (`host:port`, plain gRPC inside the cluster).
pub fn agent(collector: String) -> Config {
    Config {
        service: Service {
            extensions: vec!["healthcheckv2"],
            pipelines: BTreeMap::from([(
                "traces",
                Pipeline {
                    receivers: vec!["otlp"],
                    processors: vec!["memory_limiter", "batch"],
                    exporters: vec!["otlp"],
                },
            )]),
            telemetry: telemetry(),
        },
        extensions: Extensions::default(),
        receivers: Receivers {
            otlp: Some(otlp()),
            ..Receivers::default()
        },
        processors: Processors {
            memory_limiter: Some(MemoryLimiter::default()),
            ..Processors::default()
        },
        connectors: None,
        exporters: Exporters {
            otlp: Some(OtlpExporter {
                endpoint: collector,
                tls: Tls { insecure: true },
            }),
            ..Exporters::default()
        },
    }
}
