//! loki.yaml from typed values. Every key is one of Loki's configuration reference
//! (grafana/loki docs/sources/shared/configuration.md at v3.7.6, the file generated from the
//! code); `tests.rs` parses the rendered file back through a mirror of that reference that
//! rejects unknown keys, as Loki itself does (`yaml.UnmarshalStrict`, pkg/util/cfg/files.go).
//! Object-storage credentials are not in the file: Loki's S3 client reads
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` from the environment when both keys are left
//! empty (pkg/storage/chunk/client/aws/s3_storage_client.go@v3.7.6), set from the Secret.

use serde::Serialize;

use super::{
    DATA_DIR, GRPC_PORT, HEADLESS, HTTP_PORT, Loki, MEMBERLIST_PORT, SERVICE, StorageKind,
};
use crate::model::Duration;

#[derive(Debug, Serialize)]
pub struct LokiConfig {
    /// Single tenant ("fake"): the agents send no X-Scope-OrgID.
    pub auth_enabled: bool,
    pub server: Server,
    pub common: Common,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memberlist: Option<Memberlist>,
    pub schema_config: SchemaConfig,
    pub ingester: Ingester,
    pub compactor: Compactor,
    pub querier: Querier,
    pub limits_config: Limits,
    pub analytics: Analytics,
}

#[derive(Debug, Serialize)]
pub struct Server {
    pub http_listen_port: i32,
    pub grpc_listen_port: i32,
    /// Longer than `query_timeout`, so a slow query ends with Loki's message, not a reset.
    pub http_server_read_timeout: String,
    pub http_server_write_timeout: String,
}

#[derive(Debug, Serialize)]
pub struct Common {
    pub path_prefix: String,
    pub replication_factor: i32,
    /// The single replica's ring address (no memberlist to advertise one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_addr: Option<String>,
    pub ring: Ring,
    pub storage: CommonStorage,
    /// Where the index gateway and queriers find the compactor (the client Service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compactor_grpc_address: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Ring {
    pub kvstore: KvStore,
}

#[derive(Debug, Serialize)]
pub struct KvStore {
    /// `inmemory` for one replica, `memberlist` for a ring.
    pub store: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CommonStorage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filesystem: Option<Filesystem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3>,
}

#[derive(Debug, Serialize)]
pub struct Filesystem {
    pub chunks_directory: String,
    pub rules_directory: String,
}

/// `<s3_storage_config>`.
#[derive(Debug, Serialize)]
pub struct S3 {
    /// Host without scheme: https is used unless `insecure`.
    pub endpoint: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub region: String,
    pub bucketnames: String,
    pub s3forcepathstyle: bool,
    pub insecure: bool,
}

#[derive(Debug, Serialize)]
pub struct Memberlist {
    pub join_members: Vec<String>,
    /// Refuses gossip from another Loki's memberlist that reaches this one.
    pub cluster_label: String,
}

#[derive(Debug, Serialize)]
pub struct SchemaConfig {
    pub configs: Vec<PeriodConfig>,
}

#[derive(Debug, Serialize)]
pub struct PeriodConfig {
    /// A past date: never edit an entry once written, append a new one.
    pub from: &'static str,
    pub store: &'static str,
    pub object_store: &'static str,
    pub schema: &'static str,
    pub index: IndexConfig,
}

#[derive(Debug, Serialize)]
pub struct IndexConfig {
    pub prefix: &'static str,
    /// 24h: the only period retention works with.
    pub period: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Ingester {
    pub wal: Wal,
}

#[derive(Debug, Serialize)]
pub struct Wal {
    pub enabled: bool,
    pub dir: String,
    /// A replica that stops flushes its chunks, so a rollout loses no unreplicated lines.
    pub flush_on_shutdown: bool,
}

#[derive(Debug, Serialize)]
pub struct Compactor {
    pub working_directory: String,
    pub compaction_interval: &'static str,
    /// With `delete_request_store`, what makes `retention_period` delete anything.
    pub retention_enabled: bool,
    pub retention_delete_delay: &'static str,
    pub delete_request_store: &'static str,
    /// The compactor leader moves between replicas: its markers live in the bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_marker_object_store_prefix: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct Querier {
    pub max_concurrent: u32,
}

#[derive(Debug, Serialize)]
pub struct Limits {
    pub retention_period: String,
    pub query_timeout: String,
    pub max_entries_limit_per_query: u32,
    pub ingestion_rate_mb: u32,
    pub ingestion_burst_size_mb: u32,
    pub per_stream_rate_limit: String,
    pub per_stream_rate_limit_burst: String,
    pub max_global_streams_per_user: u32,
}

#[derive(Debug, Serialize)]
pub struct Analytics {
    /// No usage reports to stats.grafana.org.
    pub reporting_enabled: bool,
}

/// A duration as Go's time.ParseDuration reads it (no `d`): the largest unit that divides it.
pub fn go_duration(d: &Duration) -> String {
    let ms = d.millis();
    let (unit, scale) = [("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        .into_iter()
        .find(|(_, scale)| ms.is_multiple_of(*scale))
        .unwrap_or(("ms", 1));
    format!("{}{unit}", ms / scale)
}

impl Loki {
    pub(super) fn config(&self, namespace: &str) -> LokiConfig {
        let s3 = self.on_object_storage();
        let timeout = go_duration(&self.query.timeout);
        // The HTTP server outlives the slowest query by 10s.
        let server_timeout = format!("{}s", self.query.timeout.millis() / 1000 + 10);
        LokiConfig {
            auth_enabled: false,
            server: Server {
                http_listen_port: HTTP_PORT,
                grpc_listen_port: GRPC_PORT,
                http_server_read_timeout: server_timeout.clone(),
                http_server_write_timeout: server_timeout,
            },
            common: Common {
                path_prefix: DATA_DIR.into(),
                replication_factor: self.replication(),
                instance_addr: (!self.clustered()).then(|| "127.0.0.1".into()),
                ring: Ring {
                    kvstore: KvStore {
                        store: if self.clustered() {
                            "memberlist"
                        } else {
                            "inmemory"
                        },
                    },
                },
                storage: self.common_storage(),
                compactor_grpc_address: self
                    .clustered()
                    .then(|| format!("{SERVICE}.{namespace}.svc:{GRPC_PORT}")),
            },
            memberlist: self.clustered().then(|| Memberlist {
                join_members: vec![format!("{HEADLESS}.{namespace}.svc:{MEMBERLIST_PORT}")],
                cluster_label: format!("{namespace}-loki"),
            }),
            schema_config: SchemaConfig {
                configs: vec![PeriodConfig {
                    from: "2026-01-01",
                    store: "tsdb",
                    object_store: self.object_store(),
                    schema: "v13",
                    index: IndexConfig {
                        prefix: "index_",
                        period: "24h",
                    },
                }],
            },
            ingester: Ingester {
                wal: Wal {
                    enabled: true,
                    dir: format!("{DATA_DIR}/wal"),
                    flush_on_shutdown: true,
                },
            },
            compactor: Compactor {
                working_directory: format!("{DATA_DIR}/compactor"),
                compaction_interval: "10m",
                retention_enabled: true,
                retention_delete_delay: "2h",
                delete_request_store: self.object_store(),
                deletion_marker_object_store_prefix: s3.then_some("loki-deletion-markers/"),
            },
            querier: Querier {
                max_concurrent: self.query.max_concurrent,
            },
            limits_config: Limits {
                retention_period: go_duration(&self.retention),
                query_timeout: timeout,
                max_entries_limit_per_query: self.query.max_entries,
                ingestion_rate_mb: self.ingestion.rate_mb,
                ingestion_burst_size_mb: self.ingestion.burst_mb,
                per_stream_rate_limit: self.ingestion.per_stream_rate.clone(),
                per_stream_rate_limit_burst: self.ingestion.per_stream_burst.clone(),
                max_global_streams_per_user: self.ingestion.max_streams,
            },
            analytics: Analytics {
                reporting_enabled: false,
            },
        }
    }

    fn object_store(&self) -> &'static str {
        match self.storage.kind {
            StorageKind::Filesystem => "filesystem",
            StorageKind::S3 => "s3",
        }
    }

    fn common_storage(&self) -> CommonStorage {
        match self.storage.kind {
            StorageKind::Filesystem => CommonStorage {
                filesystem: Some(Filesystem {
                    chunks_directory: format!("{DATA_DIR}/chunks"),
                    rules_directory: format!("{DATA_DIR}/rules"),
                }),
                s3: None,
            },
            StorageKind::S3 => CommonStorage {
                filesystem: None,
                s3: Some(S3 {
                    endpoint: self.storage.endpoint.clone(),
                    region: self.storage.region.clone(),
                    bucketnames: self.storage.bucket.clone(),
                    s3forcepathstyle: self.storage.path_style,
                    insecure: false,
                }),
            },
        }
    }
}
