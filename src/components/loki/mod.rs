//! Loki 3.7 in monolithic mode (`-target=all`): log storage and LogQL queries for the stack.
//! One replica keeps chunks and index on its own volume (`filesystem`); more replicas need
//! shared object storage (S3-compatible: DigitalOcean Spaces, S3, MinIO), a memberlist ring
//! and a replication factor no larger than the replica count (HA monolithic, upstream
//! docs/sources/get-started/deployment-modes.md). Retention is enforced by the compactor
//! (`retention_enabled` with a delete-request store); without both Loki keeps logs forever.
//!
//! Files: `mod.rs` settings and contributions, `check.rs` the settings that do not fit
//! together, `config.rs` loki.yaml from typed values, `objects.rs` the Kubernetes objects,
//! `rules.rs` the alerts, `tests.rs` (with the typed mirror of the upstream reference).

mod check;
mod config;
mod objects;
mod rules;
#[cfg(test)]
mod tests;

use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::capacity::{DAY_SECONDS, DataKind, Disk, GIB, Retained};
use crate::contrib::{
    Contributions, Destination, Flow, Peer, Prerequisite, ScrapeJob, SecretKey, SecretRef,
    storage_class_prerequisite,
};
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, ConditionAlert, RatioAlert, duration};
use crate::model::endpoints::{Datasource, DatasourceKind, ServiceAddress};
use crate::model::{
    ByteSize, Duration, Image, Problem, Resources, SecretKeyName, SecretName, Stack, VolumeSize,
};

const NAME: &str = "loki";
/// The job Loki is scraped under.
pub const JOB: &str = NAME;
/// Client Service (push and queries) and the headless Service of the StatefulSet and ring.
const SERVICE: &str = NAME;
const HEADLESS: &str = "loki-headless";
const HTTP_PORT: i32 = 3100;
const GRPC_PORT: i32 = 9095;
const MEMBERLIST_PORT: i32 = 7946;
const HTTP: &str = "http";
const GRPC: &str = "grpc";
const MEMBERLIST: &str = "memberlist";
/// The image's user and the owner of `/loki` (cmd/loki/Dockerfile@v3.7.6).
const UID: i64 = 10001;
const DATA_DIR: &str = "/loki";
const CONFIG_DIR: &str = "/etc/loki";
const CONFIG_FILE: &str = "config.yaml";
const CONFIG_MAP: &str = "loki-config";

/// The series the alerts read (pkg/compactor/metrics.go, pkg/validation/validate.go and
/// dskit server/metrics.go at v3.7.6).
const METRICS: &[&str] = &[
    "loki_request_duration_seconds_count",
    "loki_discarded_samples_total",
    "loki_boltdb_shipper_compactor_running",
    "loki_compactor_apply_retention_last_successful_run_timestamp_seconds",
];

/// `[loki]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Loki {
    /// Store and query the cluster's logs (needed by the log agent).
    pub enabled: bool,
    /// Pinned Loki image (3.7.x).
    pub image: Image,
    /// Loki replicas, each running every role (`-target=all`). More than 1 needs
    /// `storage.type = "s3"`; 3 keeps writes available while one replica restarts.
    pub replicas: i32,
    /// Copies of every stream kept on different replicas; at most `replicas`. Default: the
    /// smaller of `replicas` and 3.
    pub replication_factor: Option<i32>,
    /// Volume of each replica: chunks and index on `filesystem`; only the WAL and index cache
    /// on object storage.
    pub volume: VolumeSize,
    /// How long logs are kept; a whole number of days (the index period is 24h). The
    /// compactor deletes older logs.
    pub retention: Duration,
    /// Log volume the agents send per day, uncompressed (e.g. "2Gi"): the load of the
    /// capacity model, which warns when the volume cannot hold the retention.
    pub expected_logs_per_day: ByteSize,
    pub storage: Storage,
    pub query: Query,
    pub ingestion: Ingestion,
    pub resources: Resources,
    pub alerts: Alerts,
}

/// `[loki.storage]`: where chunks and the index live.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Storage {
    /// `filesystem` (the replica's own volume; exactly 1 replica) or `s3` (any S3-compatible
    /// object store, e.g. DigitalOcean Spaces).
    #[serde(rename = "type")]
    pub kind: StorageKind,
    /// Bucket name (s3).
    pub bucket: String,
    /// Endpoint host without scheme, e.g. `fra1.digitaloceanspaces.com` (s3).
    pub endpoint: String,
    /// Region, e.g. `fra1` (s3).
    pub region: String,
    /// Address buckets as `endpoint/bucket` instead of `bucket.endpoint` (MinIO needs it).
    pub path_style: bool,
    /// Existing Secret with the access key pair (s3); monstack never writes it. "" unsets it.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub credentials_secret: Option<SecretName>,
    /// Key of the Secret holding the access key id.
    pub access_key_id_key: SecretKeyName,
    /// Key of the Secret holding the secret access key.
    pub secret_access_key_key: SecretKeyName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    Filesystem,
    S3,
}

/// `[loki.query]`: what one query may cost.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Query {
    /// Queries each replica's querier runs at once (`querier.max_concurrent`).
    pub max_concurrent: u32,
    /// A query is cancelled after this long (`limits_config.query_timeout`).
    pub timeout: Duration,
    /// Lines one query returns at most (`limits_config.max_entries_limit_per_query`).
    pub max_entries: u32,
}

/// `[loki.ingestion]`: how much the agents may push (whole stack, per second).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Ingestion {
    /// Sustained rate in MB/s (`ingestion_rate_mb`); above it pushes are refused (429).
    pub rate_mb: u32,
    /// Burst in MB (`ingestion_burst_size_mb`).
    pub burst_mb: u32,
    /// Sustained rate of one stream, e.g. "3MB" (`per_stream_rate_limit`).
    pub per_stream_rate: String,
    /// Burst of one stream, e.g. "15MB" (`per_stream_rate_limit_burst`).
    pub per_stream_burst: String,
    /// Active streams at most (`max_global_streams_per_user`).
    pub max_streams: u32,
}

/// `[loki.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Warning: share of Loki's requests answered 5xx above `ratio` (default 0.05) for `for`
    /// (default 15m).
    pub request_errors: RatioAlert<RequestErrors>,
    /// Warning: Loki refuses pushed lines (rate limits, too many streams, too old) for `for`
    /// (default 15m).
    pub discarded_lines: ConditionAlert<DiscardedLines>,
    /// Critical: no replica runs the compactor, so retention deletes nothing, for `for`
    /// (default 30m).
    pub compactor_not_running: ConditionAlert<CompactorNotRunning>,
}

#[derive(Debug, Clone)]
pub struct RequestErrors;
impl AlertDefaults for RequestErrors {
    fn for_duration() -> Duration {
        duration("15m")
    }
    fn ratio() -> f64 {
        0.05
    }
}

#[derive(Debug, Clone)]
pub struct DiscardedLines;
impl AlertDefaults for DiscardedLines {
    fn for_duration() -> Duration {
        duration("15m")
    }
}

#[derive(Debug, Clone)]
pub struct CompactorNotRunning;
impl AlertDefaults for CompactorNotRunning {
    fn for_duration() -> Duration {
        duration("30m")
    }
}

impl Default for Loki {
    fn default() -> Self {
        Loki {
            enabled: true,
            image: Image::parse("docker.io/grafana/loki:3.7.6").expect("invariant: valid default"),
            replicas: 1,
            replication_factor: None,
            // 30 days of 2Gi a day on `filesystem` need about 16 GiB (capacity model).
            volume: VolumeSize::parse("20Gi").expect("invariant: valid default"),
            retention: duration("720h"),
            expected_logs_per_day: ByteSize::parse("2Gi").expect("invariant: valid default"),
            storage: Storage::default(),
            query: Query::default(),
            ingestion: Ingestion::default(),
            // The seed's request; the limits leave room for query bursts.
            resources: Resources::new(("100m", "256Mi"), ("1", "1Gi")),
            alerts: Alerts::default(),
        }
    }
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            kind: StorageKind::Filesystem,
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

impl Default for Query {
    fn default() -> Self {
        // Upstream defaults (configuration.md@v3.7.6): max_concurrent 4, query_timeout 1m,
        // max_entries_limit_per_query 5000.
        Query {
            max_concurrent: 4,
            timeout: duration("1m"),
            max_entries: 5000,
        }
    }
}

impl Default for Ingestion {
    fn default() -> Self {
        // Upstream defaults (configuration.md@v3.7.6, limits_config).
        Ingestion {
            rate_mb: 4,
            burst_mb: 6,
            per_stream_rate: "3MB".into(),
            per_stream_burst: "15MB".into(),
            max_streams: 5000,
        }
    }
}

/// Compressed chunk bytes per uncompressed log byte: Loki compresses chunks with snappy by
/// default (`chunk_encoding`); logs compress about 4 to 1 (an assumption, README "Capacity
/// model").
const COMPRESSION: f64 = 0.25;
/// The TSDB index beside the chunks: 5% of them (an assumption).
const INDEX_OVERHEAD: f64 = 1.05;
/// Hours of raw lines an ingester holds in its WAL before a chunk is flushed
/// (`max_chunk_age`, default 2h).
const WAL_HOURS: f64 = 2.0;
/// On object storage the volume keeps the index cache and the compactor's working files.
const CACHE_BYTES: f64 = GIB;

impl Loki {
    /// The logs this stack keeps, compressed, for the capacity model.
    fn retained(&self) -> Retained {
        Retained {
            kind: DataKind::Logs,
            bytes_per_day: self.expected_logs_per_day.value() * COMPRESSION,
            retention_days: self.retention.seconds() / DAY_SECONDS,
            retention: self.retention.to_string(),
            retention_key: "loki.retention".into(),
            load: format!("{} of logs a day", self.expected_logs_per_day),
            load_key: "loki.expected_logs_per_day".into(),
        }
    }

    /// Each replica's volume: the chunks and index on `filesystem`; on object storage only
    /// the WAL (its replicas' share of `WAL_HOURS` of raw lines, times the replication
    /// factor) and the caches.
    fn disk(&self) -> Disk {
        let wal = self.expected_logs_per_day.value() * WAL_HOURS / 24.0
            * f64::from(self.replication())
            / f64::from(self.replicas.max(1));
        let on_s3 = self.on_object_storage();
        Disk {
            kind: DataKind::Logs,
            store: "Loki",
            volume_key: "loki.volume".into(),
            volume: self.volume.to_string(),
            volume_bytes: self.volume.value(),
            usable_bytes: self.volume.value() * 0.85,
            per_byte: INDEX_OVERHEAD,
            fixed_bytes: wal + if on_s3 { CACHE_BYTES } else { 0.0 },
            object_storage: on_s3,
            basis: if on_s3 {
                "chunks in object storage; the volume holds 2h of lines in the WAL and 1 GiB of caches".into()
            } else {
                "compressed 4:1, +5% index, +2h of lines in the WAL".into()
            },
            when_full: "when the volume fills up, Loki stops accepting logs",
        }
    }

    fn clustered(&self) -> bool {
        self.replicas > 1
    }

    /// The replication factor Loki runs with.
    fn replication(&self) -> i32 {
        self.replication_factor
            .unwrap_or_else(|| self.replicas.clamp(1, 3))
    }

    fn on_object_storage(&self) -> bool {
        self.storage.kind == StorageKind::S3
    }

    fn credentials_secret(&self) -> Option<&str> {
        self.storage
            .credentials_secret
            .as_ref()
            .filter(|_| self.on_object_storage())
            .map(|s| s.as_str())
    }

    fn secrets(&self, stack: &Stack) -> Vec<SecretRef> {
        self.credentials_secret()
            .map(|name| SecretRef {
                name: name.into(),
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
                profile_key: "loki.storage.credentials_secret".into(),
                optional: false,
            })
            .into_iter()
            .collect()
    }

    fn prerequisites(&self, stack: &Stack) -> Vec<Prerequisite> {
        let mut out = storage_class_prerequisite(stack);
        if self.on_object_storage() {
            out.push(Prerequisite {
                kind: "bucket".into(),
                name: format!("{} at {}", self.storage.bucket, self.storage.endpoint),
                why: "Loki keeps chunks, index and deletion markers there (loki.storage.bucket); monstack does not create it".into(),
            });
        }
        out
    }

    fn flows(&self) -> Vec<Flow> {
        if !self.clustered() {
            return Vec::new();
        }
        let ring = |port: &str, why: &str| {
            Flow::new(
                Peer::Component(NAME.into()),
                Destination::Port {
                    app: NAME.into(),
                    port: port.into(),
                },
                why,
            )
        };
        vec![
            ring(MEMBERLIST, "ring members gossip with each other"),
            ring(GRPC, "replicas replicate pushes and fan out queries"),
            ring(HTTP, "the ring's members ask each other for readiness"),
        ]
    }
}

/// Loki's client Service: pushes, queries and metrics.
pub fn service_address(stack: &Stack) -> ServiceAddress {
    ServiceAddress::in_stack(stack, SERVICE, HTTP, HTTP_PORT)
}

fn scrape_job(stack: &Stack) -> ScrapeJob {
    let mut job = ScrapeJob::stack_pods(stack, NAME, service_address(stack), "/metrics");
    job.comment = "Loki replicas of this stack, port http.".into();
    job.with_metrics(METRICS)
}

impl Component for Loki {
    const NAME: &'static str = "loki";
    const FILE: &'static str = NAME;

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        check::problems(self)
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        Contributions {
            scrape_jobs: vec![scrape_job(stack)],
            rule_groups: rules::groups(&self.alerts, stack),
            datasources: vec![Datasource {
                uid: NAME.into(),
                name: "Loki".into(),
                kind: DatasourceKind::Loki,
                service: service_address(stack),
                min_interval: None,
                basic_auth: None,
                replaces: None,
            }],
            secrets: self.secrets(stack),
            flows: self.flows(),
            prerequisites: self.prerequisites(stack),
            retained: vec![self.retained()],
            disks: vec![self.disk()],
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        objects::objects(self, cx)
    }
}
