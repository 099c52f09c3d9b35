//! Loki's tests: the rendered loki.yaml parsed back through a mirror of Loki's configuration
//! reference that rejects unknown keys, retention really enforced, the HA rules, and the
//! objects (Secret by reference, ring only when clustered).

use super::*;
use crate::diag::Code;
use crate::model::Document;
use crate::profile::Source;

/// A mirror of the keys monstack writes, as grafana/loki
/// docs/sources/shared/configuration.md@v3.7.6 spells and nests them (types as documented:
/// `<int>`, `<boolean>`, `<string>`, `<duration>` as text). `deny_unknown_fields` everywhere:
/// a misspelled or misplaced key fails here as `loki -verify-config` would fail on it.
// Fields exist to be parsed (and rejected when unknown); not every one is asserted.
#[allow(dead_code)]
mod reference {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {
        pub auth_enabled: bool,
        pub server: Server,
        pub common: Common,
        pub memberlist: Option<Memberlist>,
        pub schema_config: SchemaConfig,
        pub ingester: Ingester,
        pub compactor: Compactor,
        pub querier: Querier,
        pub limits_config: Limits,
        pub analytics: Analytics,
    }

    /// `server:` (`<server>` block).
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Server {
        pub http_listen_port: u16,
        pub grpc_listen_port: u16,
        pub http_server_read_timeout: String,
        pub http_server_write_timeout: String,
    }

    /// `common:`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Common {
        pub path_prefix: String,
        pub replication_factor: u32,
        pub instance_addr: Option<String>,
        pub ring: Ring,
        pub storage: Storage,
        pub compactor_grpc_address: Option<String>,
    }

    /// `<ring>`: only `kvstore.store` is used.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Ring {
        pub kvstore: KvStore,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct KvStore {
        /// "Supported values are: consul, etcd, inmemory, memberlist, multi."
        pub store: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Storage {
        pub s3: Option<S3>,
        pub filesystem: Option<Filesystem>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Filesystem {
        pub chunks_directory: String,
        pub rules_directory: String,
    }

    /// `<s3_storage_config>`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct S3 {
        pub endpoint: String,
        pub region: Option<String>,
        pub bucketnames: String,
        pub access_key_id: Option<String>,
        pub secret_access_key: Option<String>,
        pub s3forcepathstyle: bool,
        pub insecure: bool,
    }

    /// `<memberlist>`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Memberlist {
        pub join_members: Vec<String>,
        pub cluster_label: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct SchemaConfig {
        pub configs: Vec<PeriodConfig>,
    }

    /// `<period_config>`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PeriodConfig {
        pub from: String,
        pub store: String,
        pub object_store: String,
        pub schema: String,
        pub index: Index,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Index {
        pub prefix: String,
        pub period: String,
    }

    /// `<ingester>`: only `wal`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Ingester {
        pub wal: Wal,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Wal {
        pub enabled: bool,
        pub dir: String,
        pub flush_on_shutdown: bool,
    }

    /// `<compactor>`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Compactor {
        pub working_directory: String,
        pub compaction_interval: String,
        pub retention_enabled: bool,
        pub retention_delete_delay: String,
        pub delete_request_store: Option<String>,
        pub deletion_marker_object_store_prefix: Option<String>,
    }

    /// `<querier>`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Querier {
        pub max_concurrent: u32,
    }

    /// `<limits_config>`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Limits {
        pub retention_period: String,
        pub query_timeout: String,
        pub max_entries_limit_per_query: u32,
        pub ingestion_rate_mb: f64,
        pub ingestion_burst_size_mb: f64,
        pub per_stream_rate_limit: String,
        pub per_stream_rate_limit_burst: String,
        pub max_global_streams_per_user: u32,
    }

    /// `<analytics>`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Analytics {
        pub reporting_enabled: bool,
    }
}

fn loki(profile: &str) -> Loki {
    let sources = vec![Source {
        name: "test.toml".into(),
        text: profile.into(),
    }];
    let doc = Document::parse(&sources).unwrap_or_else(|_| panic!("bad test profile"));
    doc.section::<Loki>("loki").unwrap()
}

const S3_PROFILE: &str = r#"
[loki]
replicas = 3
[loki.storage]
type = "s3"
bucket = "todo-logs"
endpoint = "fra1.digitaloceanspaces.com"
region = "fra1"
credentials_secret = "loki-s3"
"#;

fn rendered(l: &Loki) -> (String, reference::Config) {
    let text = crate::templates::yaml_of(&l.config("monitoring")).unwrap();
    let parsed = serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|e| panic!("loki.yaml does not match the v3.7.6 reference: {e}\n{text}"));
    (text, parsed)
}

fn codes(l: &Loki) -> Vec<(String, &'static str)> {
    check::problems(l)
        .into_iter()
        .map(|p| (p.key, p.diagnostic.code.name()))
        .collect()
}

#[test]
fn single_replica_config_matches_the_reference_and_enforces_retention() {
    let (_, c) = rendered(&Loki::default());
    // Retention deletes only with the compactor's retention on and a delete-request store
    // (pkg/compactor/config.go Validate@v3.7.6).
    assert!(c.compactor.retention_enabled);
    assert_eq!(
        c.compactor.delete_request_store.as_deref(),
        Some("filesystem")
    );
    assert_eq!(c.limits_config.retention_period, "720h");
    assert_eq!(c.schema_config.configs[0].index.period, "24h");
    assert_eq!(c.schema_config.configs[0].store, "tsdb");
    assert_eq!(c.schema_config.configs[0].schema, "v13");
    assert_eq!(c.common.replication_factor, 1);
    assert_eq!(c.common.ring.kvstore.store, "inmemory");
    assert!(c.common.storage.filesystem.is_some());
    assert!(c.memberlist.is_none());
    assert!(!c.analytics.reporting_enabled);
}

#[test]
fn ha_config_uses_object_storage_memberlist_and_markers_in_the_bucket() {
    let l = loki(S3_PROFILE);
    assert!(codes(&l).is_empty(), "{:?}", codes(&l));
    let (text, c) = rendered(&l);
    assert_eq!(c.common.replication_factor, 3);
    assert_eq!(c.common.ring.kvstore.store, "memberlist");
    let s3 = c.common.storage.s3.unwrap();
    assert_eq!(s3.bucketnames, "todo-logs");
    // Credentials come from the environment (the Secret), never from the file.
    assert!(s3.access_key_id.is_none() && s3.secret_access_key.is_none());
    assert!(!text.contains("loki-s3"));
    assert_eq!(c.compactor.delete_request_store.as_deref(), Some("s3"));
    assert_eq!(
        c.compactor.deletion_marker_object_store_prefix.as_deref(),
        Some("loki-deletion-markers/")
    );
    assert_eq!(
        c.memberlist.unwrap().join_members,
        ["loki-headless.monitoring.svc:7946"]
    );
    assert_eq!(
        c.common.compactor_grpc_address.as_deref(),
        Some("loki.monitoring.svc:9095")
    );
}

#[test]
fn the_mirror_rejects_a_misplaced_key() {
    let bad = rendered(&Loki::default()).0.replace(
        "retention_enabled: true",
        "retention_enabled: true\n  retention_period: 1h",
    );
    assert!(serde_yaml_ng::from_str::<reference::Config>(&bad).is_err());
}

#[test]
fn two_replicas_on_filesystem_are_refused_with_the_fix() {
    let problems = check::problems(&loki("[loki]\nreplicas = 2\n"));
    let p = problems
        .iter()
        .find(|p| p.diagnostic.code == Code::FilesystemReplicas)
        .expect("refused");
    assert_eq!(p.key, "loki.replicas");
    assert!(
        p.diagnostic
            .help
            .as_deref()
            .unwrap()
            .contains("storage.type = \"s3\"")
    );
}

#[test]
fn replication_factor_and_two_replicas() {
    assert!(codes(&loki("[loki]\nreplication_factor = 2\n")).contains(&(
        "loki.replication_factor".into(),
        "replication-above-replicas"
    )));
    let two = S3_PROFILE.replace("replicas = 3", "replicas = 2");
    assert_eq!(
        codes(&loki(&two)),
        [("loki.replicas".to_string(), "no-write-quorum")]
    );
    assert_eq!(loki(&two).replication(), 2);
}

#[test]
fn object_storage_without_bucket_endpoint_or_secret_is_refused() {
    let found = codes(&loki("[loki.storage]\ntype = \"s3\"\n"));
    for key in ["bucket", "endpoint", "credentials_secret"] {
        assert!(
            found.contains(&(format!("loki.storage.{key}"), "object-storage-incomplete")),
            "{key}: {found:?}"
        );
    }
}

#[test]
fn retention_must_be_whole_days() {
    for bad in ["36h", "12h"] {
        assert!(
            codes(&loki(&format!("[loki]\nretention = \"{bad}\"\n")))
                .contains(&("loki.retention".into(), "retention-not-whole-days")),
            "{bad}"
        );
    }
    assert!(codes(&loki("[loki]\nretention = \"7d\"\n")).is_empty());
    assert_eq!(
        config::go_duration(&crate::model::Duration::parse("7d").unwrap()),
        "168h"
    );
}

#[test]
fn secret_is_read_by_reference_and_the_bucket_is_a_prerequisite() {
    let l = loki(S3_PROFILE);
    let stack = Stack::default();
    let c = l.contribute(&stack);
    assert_eq!(c.secrets[0].name, "loki-s3");
    assert!(c.prerequisites.iter().any(|p| p.kind == "bucket"));
    assert_eq!(c.datasources[0].kind, DatasourceKind::Loki);
    assert_eq!(c.flows.len(), 3);
    assert!(Loki::default().contribute(&stack).flows.is_empty());
}
