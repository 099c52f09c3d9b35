//! Thanos v0.42 (opt-in): long-term metrics with downsampling, and one deduplicated view over
//! the Prometheus replicas. A sidecar in every Prometheus pod uploads each finished 2h block to
//! S3-compatible object storage; Thanos Query fans PromQL out to the sidecars (recent data)
//! and the Store Gateway (history in the bucket) and merges the replicas on their `replica`
//! label; one Compactor compacts, downsamples (5m after 40h, 1h after 10d) and applies the
//! retention of each resolution. Grafana's metrics datasource becomes Thanos Query.
//!
//! Choices, and why:
//! - The sidecar joins Prometheus' pods through `contrib::StoreExtension`, which Prometheus
//!   applies without knowing Thanos: the container, a `replica` external label (dropped from
//!   alerts), 2h block durations (local compaction off, docs/components/sidecar.md) and a
//!   short local retention.
//! - Object storage: the non-secret part of objstore.yml (bucket, endpoint, region) is rendered
//!   from the profile and passed inline (`--objstore.config`, what docs/storage.md recommends);
//!   the access keys come from an existing Secret as `AWS_ACCESS_KEY_ID` /
//!   `AWS_SECRET_ACCESS_KEY`, the second source of the S3 client's credential chain ("From the
//!   standard AWS environment variable", docs/storage.md@v0.42.4). So the bucket settings are
//!   checked and diffable, and the Secret holds nothing but the key pair, like Loki's.
//! - Query finds its StoreAPIs in the endpoint config file (`--endpoint.sd-config-file`,
//!   cmd/thanos/endpointset.go@v0.42.4; `--store` is gone and `--endpoint` deprecated), with
//!   `dnssrv+` addresses of headless Services this component renders.
//!
//! Files: `mod.rs` settings and contributions, `check.rs` the settings that do not fit
//! together, `config.rs` objstore.yml and the endpoint file from typed values, `objects.rs` the
//! Kubernetes objects, `rules.rs` the alerts, `dashboard.rs` the Thanos panels, `tests.rs`.

mod check;
mod config;
mod dashboard;
mod objects;
mod rules;
#[cfg(test)]
mod tests;

use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::{
    Capability, Contributions, Destination, Flow, Need, Offer, Peer, Prerequisite, ScrapeJob,
    SecretKey, SecretRef, ServiceKind, StoreExtension, storage_class_prerequisite,
};
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, ConditionAlert, RatioAlert, duration};
use crate::model::endpoints::{Datasource, DatasourceKind, ServiceAddress};
use crate::model::{
    Duration, Image, Problem, Resources, SecretKeyName, SecretName, Stack, VolumeSize,
};

const KEY: &str = "thanos";
/// The pods' `app.kubernetes.io/name`, their Services' names and their scrape jobs.
pub const QUERY: &str = "thanos-query";
pub const STORE: &str = "thanos-store";
pub const COMPACT: &str = "thanos-compact";
/// The headless Service over the Prometheus pods' sidecars, and its scrape job.
pub const SIDECAR: &str = "thanos-sidecar";
/// The Prometheus pods the sidecar joins (their `app.kubernetes.io/name`).
const PROMETHEUS_APP: &str = "prometheus";
/// Prometheus' HTTP API from inside its pod; a test proves it is the rendered container port.
const PROMETHEUS_URL: &str = "http://localhost:9090";
/// Every Thanos component serves HTTP on 10902 and gRPC (StoreAPI) on 10901 by default
/// (docs/components/sidecar.md@v0.42.4).
const HTTP_PORT: i32 = 10902;
const GRPC_PORT: i32 = 10901;
const HTTP: &str = "http";
const GRPC: &str = "grpc";
/// The sidecar's port names in the Prometheus pod (apart from Prometheus' own `http`).
const SIDECAR_HTTP: &str = "thanos-http";
const SIDECAR_GRPC: &str = "thanos-grpc";
/// The external label that tells Prometheus replicas apart; Query and the dashboards
/// deduplicate on it.
pub const REPLICA_LABEL: &str = "replica";
/// Prometheus cuts blocks of this length and the sidecar uploads each one.
const BLOCK_DURATION: &str = "2h";

/// `[thanos]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Thanos {
    /// Long-term metrics on object storage: a sidecar per Prometheus replica, Query, Store
    /// Gateway and Compactor. Off by default (it needs a bucket).
    pub enabled: bool,
    /// Pinned Thanos image (v0.42.x).
    pub image: Image,
    /// How long each Prometheus replica keeps data on its own volume once Thanos is on (caps
    /// `prometheus.retention.time`); older data is read from the bucket. At least 6h (three
    /// blocks), so a bucket outage loses nothing.
    pub local_retention: Duration,
    pub storage: Storage,
    pub retention: Retention,
    pub sidecar: Sidecar,
    pub query: Query,
    pub store: Store,
    pub compact: Compact,
    pub alerts: Alerts,
}

/// `[thanos.storage]`: the S3-compatible bucket blocks are uploaded to.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Storage {
    /// Bucket name (a prerequisite: monstack does not create it).
    pub bucket: String,
    /// Endpoint host without scheme, e.g. `fra1.digitaloceanspaces.com`.
    pub endpoint: String,
    /// Region, e.g. `fra1`.
    pub region: String,
    /// Address buckets as `endpoint/bucket` (MinIO) instead of `bucket.endpoint`.
    pub path_style: bool,
    /// Existing Secret with the access key pair; monstack never writes it. "" unsets it.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub credentials_secret: Option<SecretName>,
    /// Key of the Secret holding the access key id.
    pub access_key_id_key: SecretKeyName,
    /// Key of the Secret holding the secret access key.
    pub secret_access_key_key: SecretKeyName,
}

/// `[thanos.retention]`: how long the Compactor keeps each resolution in the bucket
/// (`--retention.resolution-*`; "0d" keeps it forever).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Raw samples; at least 40h, when 5m downsampling starts.
    pub raw: Duration,
    /// 5-minute downsampled samples; at least 10d, when 1h downsampling starts.
    pub downsampled_5m: Duration,
    /// 1-hour downsampled samples.
    pub downsampled_1h: Duration,
}

/// `[thanos.sidecar]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Sidecar {
    /// Per Prometheus replica.
    pub resources: Resources,
}

/// `[thanos.query]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Query {
    /// Stateless replicas behind the `thanos-query` Service.
    pub replicas: i32,
    pub resources: Resources,
}

/// `[thanos.store]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Store {
    /// Store Gateway replicas; each serves every block of the bucket.
    pub replicas: i32,
    /// Per replica: index headers and meta.json cache (rebuilt from the bucket when lost).
    pub volume: VolumeSize,
    pub resources: Resources,
}

/// `[thanos.compact]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Compact {
    /// Scratch space for the blocks being compacted and downsampled.
    pub volume: VolumeSize,
    pub resources: Resources,
}

/// `[thanos.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Warning: the Compactor halted after an error it will not retry (overlapping blocks...):
    /// compaction, downsampling and retention stop until someone fixes the bucket.
    pub compactor_halted: ConditionAlert<CompactorHalted>,
    /// Critical: a sidecar's bucket operations fail, so blocks are not uploaded and history
    /// will have holes once the local retention passes.
    pub upload_failures: ConditionAlert<UploadFailures>,
    /// Warning: more than `ratio` of the Store Gateway's gRPC requests fail.
    pub store_errors: RatioAlert<StoreErrors>,
    /// Critical: a sidecar cannot reach the Prometheus beside it (no upload, no recent data).
    pub prometheus_unreachable: ConditionAlert<PrometheusUnreachable>,
}

#[derive(Debug, Clone)]
pub struct CompactorHalted;
impl AlertDefaults for CompactorHalted {
    fn for_duration() -> Duration {
        duration("5m")
    }
}

#[derive(Debug, Clone)]
pub struct UploadFailures;
impl AlertDefaults for UploadFailures {
    fn for_duration() -> Duration {
        duration("5m")
    }
}

#[derive(Debug, Clone)]
pub struct StoreErrors;
impl AlertDefaults for StoreErrors {
    fn for_duration() -> Duration {
        duration("5m")
    }
    fn ratio() -> f64 {
        0.05
    }
}

/// Prometheus replays its WAL for minutes after a restart, when the sidecar sees it down.
#[derive(Debug, Clone)]
pub struct PrometheusUnreachable;
impl AlertDefaults for PrometheusUnreachable {
    fn for_duration() -> Duration {
        duration("15m")
    }
}

impl Default for Thanos {
    fn default() -> Self {
        Thanos {
            enabled: false,
            image: Image::parse("quay.io/thanos/thanos:v0.42.4").expect("invariant: valid default"),
            local_retention: duration("2d"),
            storage: Storage::default(),
            retention: Retention::default(),
            sidecar: Sidecar {
                resources: Resources::new(("50m", "64Mi"), ("500m", "256Mi")),
            },
            query: Query {
                replicas: 2,
                resources: Resources::new(("100m", "256Mi"), ("1000m", "1Gi")),
            },
            store: Store {
                replicas: 1,
                volume: VolumeSize::parse("10Gi").expect("invariant: valid default"),
                resources: Resources::new(("100m", "512Mi"), ("1000m", "2Gi")),
            },
            compact: Compact {
                volume: VolumeSize::parse("20Gi").expect("invariant: valid default"),
                resources: Resources::new(("100m", "512Mi"), ("1000m", "2Gi")),
            },
            alerts: Alerts::default(),
        }
    }
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            bucket: String::new(),
            endpoint: String::new(),
            region: String::new(),
            path_style: false,
            credentials_secret: None,
            access_key_id_key: SecretKeyName::parse("access_key_id")
                .expect("invariant: valid default"),
            secret_access_key_key: SecretKeyName::parse("secret_access_key")
                .expect("invariant: valid default"),
        }
    }
}

/// The example: raw 15d, 5m 90d, 1h 1y.
impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw: duration("15d"),
            downsampled_5m: duration("90d"),
            downsampled_1h: duration("1y"),
        }
    }
}

impl Default for Sidecar {
    fn default() -> Self {
        Thanos::default().sidecar
    }
}
impl Default for Query {
    fn default() -> Self {
        Thanos::default().query
    }
}
impl Default for Store {
    fn default() -> Self {
        Thanos::default().store
    }
}
impl Default for Compact {
    fn default() -> Self {
        Thanos::default().compact
    }
}

/// The metric families each job's rules and panels read (names from cmd/thanos/*.go,
/// pkg/shipper/shipper.go, pkg/store/bucket.go, pkg/extprom/http/metrics.go at v0.42.4;
/// `thanos_objstore_*` from objstore's WrapWithMetrics under the `thanos_` prefix; `grpc_server_*`
/// from go-grpc-middleware).
const SIDECAR_METRICS: &[&str] = &[
    "thanos_sidecar_prometheus_up",
    "thanos_objstore_bucket_operation_failures_total",
    "thanos_objstore_bucket_operations_total",
    "thanos_shipper_uploads_total",
    "thanos_shipper_upload_failures_total",
];
const STORE_METRICS: &[&str] = &[
    "grpc_server_handled_total",
    "grpc_server_started_total",
    "thanos_bucket_store_blocks_loaded",
    "thanos_objstore_bucket_operation_failures_total",
];
const COMPACT_METRICS: &[&str] = &[
    "thanos_compact_halted",
    "thanos_compact_iterations_total",
    "thanos_compact_downsample_total",
    "thanos_objstore_bucket_operation_failures_total",
];
const QUERY_METRICS: &[&str] = &["http_requests_total", "thanos_store_nodes_grpc_connections"];

impl Component for Thanos {
    const NAME: &'static str = KEY;
    const FILE: &'static str = "thanos";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        if !self.enabled {
            return Vec::new();
        }
        check::problems(self)
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        Contributions {
            scrape_jobs: scrape_jobs(stack),
            rule_groups: rules::groups(&self.alerts, stack),
            panels: vec![dashboard::panels()],
            datasources: vec![Datasource {
                // Thanos Query asks for no login (Prometheus' own, when on, is the sidecar's
                // concern: see the README's Thanos section).
                basic_auth: None,
                uid: QUERY.into(),
                name: "Thanos Query".into(),
                kind: DatasourceKind::Prometheus,
                service: query_address(stack),
                // The replaced Prometheus datasource's scrape interval.
                min_interval: None,
                replaces: Some(PROMETHEUS_APP.into()),
            }],
            secrets: self.secrets(stack),
            flows: vec![
                Flow::new(
                    Peer::Component(QUERY.into()),
                    Destination::Port {
                        app: PROMETHEUS_APP.into(),
                        port: SIDECAR_GRPC.into(),
                    },
                    "queries recent data from the sidecars (StoreAPI)",
                ),
                Flow::new(
                    Peer::Component(QUERY.into()),
                    Destination::Port {
                        app: STORE.into(),
                        port: GRPC.into(),
                    },
                    "queries history from the Store Gateway (StoreAPI)",
                ),
            ],
            prerequisites: self.prerequisites(stack),
            offers: store_apis(stack),
            needs: vec![Need {
                capability: Capability::Service(ServiceKind::MetricsStore),
                key: format!("{KEY}.enabled"),
                why: "its sidecar joins the Prometheus pods and uploads their blocks".into(),
            }],
            metrics_store: vec![StoreExtension {
                containers: vec![objects::sidecar(self)],
                volumes: Vec::new(),
                tsdb_mount: Some(objects::TSDB_PATH.into()),
                replica_label: Some(REPLICA_LABEL.into()),
                block_duration: Some(duration(BLOCK_DURATION)),
                max_retention: Some(self.local_retention.clone()),
                waivers: vec![objects::SECRET_ENV],
            }],
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        objects::objects(self, cx)
    }
}

/// Query's HTTP API (Prometheus-compatible), Grafana's metrics datasource.
fn query_address(stack: &Stack) -> ServiceAddress {
    ServiceAddress::in_stack(stack, QUERY, HTTP, HTTP_PORT)
}

/// The StoreAPIs Query fans out to: the sidecars (recent blocks) and the Store Gateway.
fn store_apis(stack: &Stack) -> Vec<Offer> {
    [
        ServiceAddress::in_stack(stack, SIDECAR, SIDECAR_GRPC, GRPC_PORT),
        ServiceAddress::in_stack(stack, STORE, GRPC, GRPC_PORT),
    ]
    .into_iter()
    .map(|service| Offer {
        kind: ServiceKind::StoreApi,
        service,
        basic_auth: None,
        index_replicas: None,
    })
    .collect()
}

fn scrape_jobs(stack: &Stack) -> Vec<ScrapeJob> {
    let mut sidecar = ScrapeJob::stack_pods(
        stack,
        PROMETHEUS_APP,
        ServiceAddress::in_stack(stack, SIDECAR, SIDECAR_HTTP, HTTP_PORT),
        "/metrics",
    )
    .with_metrics(SIDECAR_METRICS);
    sidecar.name = SIDECAR.into();
    sidecar.comment =
        format!("Thanos sidecars in the {PROMETHEUS_APP} pods of this stack, port {SIDECAR_HTTP}.");
    let own = |app: &str, metrics: &[&'static str]| {
        ScrapeJob::stack_pods(
            stack,
            app,
            ServiceAddress::in_stack(stack, app, HTTP, HTTP_PORT),
            "/metrics",
        )
        .with_metrics(metrics)
    };
    vec![
        sidecar,
        own(QUERY, QUERY_METRICS),
        own(STORE, STORE_METRICS),
        own(COMPACT, COMPACT_METRICS),
    ]
}

impl Thanos {
    fn secrets(&self, stack: &Stack) -> Vec<SecretRef> {
        self.storage
            .credentials_secret
            .iter()
            .map(|name| SecretRef {
                name: name.to_string(),
                namespace: stack.namespace.to_string(),
                keys: vec![
                    SecretKey::plain(
                        self.storage.access_key_id_key.as_str(),
                        "object store access key id",
                    ),
                    SecretKey::plain(
                        self.storage.secret_access_key_key.as_str(),
                        "object store secret access key",
                    ),
                ],
                profile_key: format!("{KEY}.storage.credentials_secret"),
                optional: false,
            })
            .collect()
    }

    fn prerequisites(&self, stack: &Stack) -> Vec<Prerequisite> {
        let mut out = storage_class_prerequisite(stack);
        out.push(Prerequisite {
            kind: "bucket".into(),
            name: format!("{} at {}", self.storage.bucket, self.storage.endpoint),
            why: format!(
                "Thanos keeps the Prometheus blocks there, downsampled and kept per resolution ({KEY}.storage.bucket); monstack does not create it"
            ),
        });
        out
    }
}
