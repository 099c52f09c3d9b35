//! Jaeger v2: distributed tracing in the seed's topology, on the v2 binary. Jaeger v1 reached
//! end of life on 2025-12-31 and jaeger-agent was removed before that (last built in v1.67);
//! v2 is one OpenTelemetry-Collector-based binary configured by a YAML file, run here in three
//! roles:
//! - **collector** (Deployment): OTLP gRPC/HTTP, Jaeger gRPC/Thrift-HTTP and Zipkin in,
//!   Elasticsearch out; with `span_metrics`, RED metrics per service from the spans
//!   (spanmetrics connector) for Prometheus, the trace alerts and the Monitor tab;
//! - **query** (Deployment): the UI and API (16686, gRPC 16685) over the same indices, and
//!   Grafana's Jaeger datasource;
//! - **agent** (DaemonSet): receives OTLP from the pods of its node through the node-local
//!   Service `jaeger-agent` (`internalTrafficPolicy: Local`, no hostPort), batches and
//!   forwards to the collector. It needs no host access, so it runs in the stack's namespace
//!   under Pod Security `restricted`.
//!
//! Span retention is enforced by the es-index-cleaner CronJob (Jaeger v2 has no built-in
//! cleaner): daily indices older than `retention` are deleted, and the query lookback
//! (`max_span_age`) covers the retention.
//!
//! Files: `mod.rs` settings and contributions, `config.rs` the typed config file,
//! `objects.rs` the Kubernetes objects, `rules.rs` the alerts, `dashboard.rs` the Tracing
//! dashboard, `tests.rs`.

mod config;
mod dashboard;
mod objects;
mod rules;
#[cfg(test)]
mod tests;

use serde::Deserialize;

use super::{Component, Context};
use crate::components::elasticsearch;
use crate::contrib::capacity::{DAY_SECONDS, DataKind, Retained};
use crate::contrib::scrape::ScrapeJob;
use crate::contrib::{
    Capability, Contributions, Destination, Exposure, Flow, Need, Offer, Peer, ServiceKind,
};
use crate::diag::Code;
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, LatencyAlert, RatioAlert, duration};
use crate::model::endpoints::{Datasource, DatasourceKind, ServiceAddress};
use crate::model::{Duration, HostName, Image, Problem, Resources, Stack, check_replicas};

const KEY: &str = "jaeger";
pub const COLLECTOR: &str = "jaeger-collector";
pub const QUERY: &str = "jaeger-query";
pub const AGENT: &str = "jaeger-agent";
pub const CLEANER: &str = "jaeger-es-index-cleaner";
/// The scrape job of the collector's span metrics (`traces_span_metrics_*`).
pub const SPAN_METRICS_JOB: &str = "jaeger-spanmetrics";

/// Container ports (jaegertracing/jaeger cmd/jaeger/Dockerfile and internal/ports@v2.20.0).
pub mod ports {
    pub const OTLP_GRPC: i32 = 4317;
    pub const OTLP_HTTP: i32 = 4318;
    pub const JAEGER_GRPC: i32 = 14250;
    pub const JAEGER_HTTP: i32 = 14268;
    pub const ZIPKIN: i32 = 9411;
    pub const QUERY_HTTP: i32 = 16686;
    pub const QUERY_GRPC: i32 = 16685;
    pub const HEALTH: i32 = 13133;
    pub const METRICS: i32 = 8888;
    pub const SPAN_METRICS: i32 = 8889;
}

/// The binary's own series the alerts and panels read (OTel collector internal telemetry, as
/// Jaeger's monitoring/jaeger-mixin@v2.20.0 reads them).
const OTELCOL_METRICS: &[&str] = &[
    "otelcol_receiver_accepted_spans_total",
    "otelcol_receiver_refused_spans_total",
    "otelcol_exporter_sent_spans_total",
    "otelcol_exporter_send_failed_spans_total",
];

/// The spanmetrics connector's series after the Prometheus exporter's translation.
const SPAN_METRICS: &[&str] = &[
    "traces_span_metrics_calls_total",
    "traces_span_metrics_duration_milliseconds_bucket",
    "traces_span_metrics_duration_milliseconds_sum",
    "traces_span_metrics_duration_milliseconds_count",
];

/// `[jaeger]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Jaeger {
    /// Run Jaeger (collector, query, node agent, index cleaner) on the Elasticsearch span store.
    pub enabled: bool,
    /// Pinned Jaeger v2 image (tags have no `v`); every role runs it.
    pub image: Image,
    /// Pinned es-index-cleaner image, the same release as `image`.
    pub cleaner_image: Image,
    /// Spans older than this are deleted (whole days: one index per day).
    pub retention: Duration,
    /// How far back searches look (Jaeger's `max_span_age`); default: `retention`. Shorter
    /// than `retention` hides traces that are still kept.
    pub query_lookback: Option<Duration>,
    /// When the index cleaner runs (cron, in the cluster's time zone).
    pub cleaner_schedule: String,
    /// Derive RED metrics per service from the spans (spanmetrics connector): the trace
    /// alerts and Jaeger's Monitor tab read them.
    pub span_metrics: bool,
    /// Spans per second the collector stores (after sampling): the load of the capacity
    /// model, which warns when the span store's volume cannot hold the retention.
    pub expected_spans_per_second: u32,
    pub collector: Role,
    pub query: Role,
    pub agent: Agent,
    pub alerts: Alerts,
    /// Public host name of the UI (e.g. `jaeger.example.com`), served at its root (the query
    /// service's `base_path` stays `/`). "" unsets it.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub host: Option<HostName>,
    /// Expose the UI at `host` when `[access]` routes UIs from outside.
    pub expose: bool,
}

/// A replicated role (collector, query).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub replicas: i32,
    pub resources: Resources,
}

/// `[jaeger.agent]`: one agent per node.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Agent {
    /// Run the node agent (applications send OTLP to `jaeger-agent:4317`, served on their
    /// own node).
    pub enabled: bool,
    pub resources: Resources,
}

/// `[jaeger.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Warning: the collector or an agent refuses more than `ratio` (default 0.01) of the
    /// spans it receives (memory limiter, malformed data) for `for` (default 5m).
    pub spans_refused: RatioAlert<SpansRefused>,
    /// Critical: more than `ratio` (default 0.01) of the spans the collector or an agent
    /// exports fail (Elasticsearch or the collector unreachable) for `for` (default 5m).
    pub export_failures: RatioAlert<ExportFailures>,
    /// Critical: more than `ratio` (default 0.05) of a service's server spans are errors, for
    /// `for` (default 5m). Needs `span_metrics`.
    pub span_error_rate: RatioAlert<SpanErrorRate>,
    /// Warning: a service's p95 server span duration is above `p95` (default 2s) for `for`
    /// (default 5m). Needs `span_metrics`.
    pub span_latency: LatencyAlert<SpanLatency>,
}

macro_rules! alert_defaults {
    ($name:ident, $for:literal, ratio = $ratio:literal) => {
        #[derive(Debug, Clone)]
        pub struct $name;
        impl AlertDefaults for $name {
            fn for_duration() -> Duration {
                duration($for)
            }
            fn ratio() -> f64 {
                $ratio
            }
        }
    };
}
alert_defaults!(SpansRefused, "5m", ratio = 0.01);
alert_defaults!(ExportFailures, "5m", ratio = 0.01);
alert_defaults!(SpanErrorRate, "5m", ratio = 0.05);

#[derive(Debug, Clone)]
pub struct SpanLatency;
impl AlertDefaults for SpanLatency {
    fn for_duration() -> Duration {
        duration("5m")
    }
    fn p95() -> Duration {
        duration("2s")
    }
}

impl Default for Jaeger {
    fn default() -> Self {
        let image = |s: &str| Image::parse(s).expect("invariant: valid default");
        // The seed's Jaeger resources: 100m / 256Mi.
        let seed = || Resources::new(("100m", "256Mi"), ("500m", "512Mi"));
        Jaeger {
            enabled: true,
            image: image("docker.io/jaegertracing/jaeger:2.20.0"),
            cleaner_image: image("docker.io/jaegertracing/jaeger-es-index-cleaner:2.20.0"),
            retention: duration("7d"),
            query_lookback: None,
            cleaner_schedule: "55 23 * * *".into(),
            span_metrics: true,
            expected_spans_per_second: 50,
            collector: Role {
                replicas: 2,
                resources: seed(),
            },
            query: Role {
                replicas: 2,
                resources: seed(),
            },
            agent: Agent::default(),
            alerts: Alerts::default(),
            host: None,
            expose: true,
        }
    }
}

impl Default for Agent {
    fn default() -> Self {
        Agent {
            enabled: true,
            resources: Resources::new(("50m", "64Mi"), ("200m", "128Mi")),
        }
    }
}

const DAY_MS: u64 = 86_400_000;

/// Bytes one span takes in Elasticsearch, its index included: a Jaeger span document is
/// about 1 KiB of JSON with a few tags and a process (an assumption, README "Capacity
/// model"); stored compressed with its inverted index and doc values, about as much.
const SPAN_BYTES: f64 = 1024.0;

impl Jaeger {
    /// The spans this stack keeps, for the capacity model. The cleaner deletes an index once
    /// it is older than the retention, so one more day (today's index) is on disk.
    fn retained(&self) -> Retained {
        Retained {
            kind: DataKind::Spans,
            bytes_per_day: f64::from(self.expected_spans_per_second) * DAY_SECONDS * SPAN_BYTES,
            retention_days: (self.retention_days() + 1) as f64,
            retention: self.retention.to_string(),
            retention_key: format!("{KEY}.retention"),
            load: format!("{} spans/s", self.expected_spans_per_second),
            load_key: format!("{KEY}.expected_spans_per_second"),
        }
    }

    /// The index cleaner's NUM_OF_DAYS.
    pub fn retention_days(&self) -> u64 {
        self.retention.millis() / DAY_MS
    }

    /// `max_span_age`: `query_lookback`, else the retention.
    pub fn lookback(&self) -> &Duration {
        self.query_lookback.as_ref().unwrap_or(&self.retention)
    }

    fn retention_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let ms = self.retention.millis();
        if ms == 0 || !ms.is_multiple_of(DAY_MS) {
            problems.push(Problem::error(
                format!("{KEY}.retention"),
                Code::InvalidValue,
                format!(
                    "retention = \"{}\" is not a whole number of days: spans live in one index per day, deleted a day at a time",
                    self.retention
                ),
                "write the retention in days, e.g. retention = \"7d\"",
            ));
        }
        if self.lookback() < &self.retention {
            problems.push(Problem::error(
                format!("{KEY}.query_lookback"),
                Code::LookbackBelowRetention,
                format!(
                    "query_lookback ({}) is shorter than the retention ({}): traces kept longer cannot be found",
                    self.lookback(),
                    self.retention
                ),
                format!(
                    "remove query_lookback (it defaults to the retention) or set it to at least \"{}\"",
                    self.retention
                ),
            ));
        }
        problems
    }

    fn alert_problems(&self) -> Vec<Problem> {
        let key = format!("{KEY}.alerts");
        let a = &self.alerts;
        [
            a.spans_refused.check(&format!("{key}.spans_refused")),
            a.export_failures.check(&format!("{key}.export_failures")),
            a.span_error_rate.check(&format!("{key}.span_error_rate")),
            a.span_latency.check(&format!("{key}.span_latency")),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl Component for Jaeger {
    const NAME: &'static str = KEY;
    const FILE: &'static str = "jaeger";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems = self.retention_problems();
        problems.extend(check_replicas(
            &format!("{KEY}.collector.replicas"),
            self.collector.replicas,
            10,
        ));
        problems.extend(check_replicas(
            &format!("{KEY}.query.replicas"),
            self.query.replicas,
            10,
        ));
        for (role, r) in [
            ("collector", &self.collector.resources),
            ("query", &self.query.resources),
            ("agent", &self.agent.resources),
        ] {
            problems.extend(r.check(&format!("{KEY}.{role}.resources")));
        }
        problems.extend(self.alert_problems());
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        Contributions {
            scrape_jobs: self.scrape_jobs(stack),
            rule_groups: rules::groups(self, stack),
            dashboards: vec![dashboard::tracing()],
            datasources: vec![Datasource {
                uid: "jaeger".into(),
                name: "Jaeger".into(),
                kind: DatasourceKind::Jaeger,
                service: query_address(stack),
                min_interval: None,
                basic_auth: None,
                replaces: None,
            }],
            offers: receivers(stack),
            flows: self.flows(stack),
            needs: vec![Need {
                capability: Capability::Service(ServiceKind::SpanStore),
                key: format!("{KEY}.enabled"),
                why: "Jaeger stores spans in Elasticsearch".into(),
            }],
            exposures: self
                .expose
                .then(|| Exposure::of(KEY, "Jaeger", query_address(stack), self.host.as_ref()))
                .into_iter()
                .collect(),
            retained: vec![self.retained()],
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        objects::objects(self, cx)
    }
}

fn collector_port(stack: &Stack, name: &str, port: i32) -> ServiceAddress {
    ServiceAddress::in_stack(stack, COLLECTOR, name, port)
}

/// The UI and API, Grafana's datasource.
pub fn query_address(stack: &Stack) -> ServiceAddress {
    ServiceAddress::in_stack(stack, QUERY, "http", ports::QUERY_HTTP)
}

/// The collector's span receivers, offered to senders (Dapr) by protocol.
fn receivers(stack: &Stack) -> Vec<Offer> {
    [
        (ServiceKind::OtlpGrpc, "otlp-grpc", ports::OTLP_GRPC),
        (ServiceKind::OtlpHttp, "otlp-http", ports::OTLP_HTTP),
        (ServiceKind::Zipkin, "zipkin", ports::ZIPKIN),
    ]
    .into_iter()
    .map(|(kind, name, port)| Offer {
        kind,
        service: collector_port(stack, name, port),
        basic_auth: None,
        index_replicas: None,
    })
    .collect()
}

/// Ports applications send spans to.
const COLLECTOR_INTAKE: &[&str] = &[
    "otlp-grpc",
    "otlp-http",
    "jaeger-grpc",
    "jaeger-http",
    "zipkin",
];
const AGENT_INTAKE: &[&str] = &["otlp-grpc", "otlp-http"];

impl Jaeger {
    fn scrape_jobs(&self, stack: &Stack) -> Vec<ScrapeJob> {
        let own = |app: &str| {
            ScrapeJob::stack_pods(
                stack,
                app,
                ServiceAddress::in_stack(stack, app, "metrics", ports::METRICS),
                "/metrics",
            )
            .with_metrics(OTELCOL_METRICS)
        };
        let mut jobs = vec![own(COLLECTOR), own(QUERY)];
        if self.agent.enabled {
            jobs.push(own(AGENT));
        }
        if self.span_metrics {
            let mut job = ScrapeJob::stack_pods(
                stack,
                COLLECTOR,
                collector_port(stack, "spanmetrics", ports::SPAN_METRICS),
                "/metrics",
            );
            job.name = SPAN_METRICS_JOB.into();
            job.comment =
                "RED metrics the Jaeger collector derives from spans (spanmetrics connector)."
                    .into();
            jobs.push(job.with_metrics(SPAN_METRICS));
        }
        jobs
    }

    fn flows(&self, stack: &Stack) -> Vec<Flow> {
        let apps =
            || Peer::Namespaces(stack.app_namespaces.iter().map(|n| n.to_string()).collect());
        let port = |app: &str, port: &str| Destination::Port {
            app: app.into(),
            port: port.into(),
        };
        let mut flows: Vec<Flow> = COLLECTOR_INTAKE
            .iter()
            .map(|p| {
                Flow::new(
                    apps(),
                    port(COLLECTOR, p),
                    "applications send spans to the collector",
                )
            })
            .collect();
        if self.agent.enabled {
            flows.extend(AGENT_INTAKE.iter().map(|p| {
                Flow::new(
                    apps(),
                    port(AGENT, p),
                    "applications send spans to their node's agent",
                )
            }));
            flows.push(Flow::new(
                Peer::Component(AGENT.into()),
                port(COLLECTOR, "otlp-grpc"),
                "agents forward spans to the collector",
            ));
        }
        for (app, why) in [
            (COLLECTOR, "the collector writes spans"),
            (QUERY, "the query service reads spans"),
            (CLEANER, "the index cleaner deletes expired span indices"),
        ] {
            flows.push(Flow::new(
                Peer::Component(app.into()),
                port(elasticsearch::NAME, elasticsearch::PORT_NAME),
                why,
            ));
        }
        if self.span_metrics {
            flows.push(Flow::new(
                Peer::Component(QUERY.into()),
                Destination::Datasource(DatasourceKind::Prometheus),
                "the Monitor tab reads span metrics from Prometheus",
            ));
        }
        flows
    }
}
