//! Elasticsearch: the span store of Jaeger, one node (the seed's "1 node, 50GB") or a cluster
//! of `nodes` (`cluster.rs`: discovery, transport TLS, one index replica). Jaeger 2.20
//! is tested against Elasticsearch 9.x and 8.19.x (its README support table and CI images
//! 9.4.0 / 8.19.0, jaegertracing/jaeger .github/workflows/ci-e2e-elasticsearch.yml@v2.20.0), so
//! the default image is 9.4.0 and 8.19.x is accepted.
//!
//! Choices, and why:
//! - `vm.max_map_count`: no privileged init container. The node runs with
//!   `node.store.allow_mmap=false` (index files are read with NIO instead of mmap), so the
//!   max-map-count bootstrap check does not apply and the pod stays within Pod Security
//!   `restricted`; the cost is some read speed, small for one node of trace data. A
//!   single-node (`discovery.type=single-node`) cluster is in development mode anyway, where
//!   bootstrap checks only warn; a cluster is in production mode, where the check is skipped
//!   for stores without mmap.
//! - Heap: `-Xms` = `-Xmx` = `heap`, validated to be at most half the memory limit (the rest
//!   is Lucene's file cache and the JVM's own memory).
//! - Security: with `password` set, X-Pack security is on and the `elastic` user's password
//!   comes from an existing Secret (never written out); without it, security is off and the
//!   node is reachable only by the pods the NetworkPolicies admit (Jaeger and its cleaner),
//!   an explicit in-cluster-only choice. HTTP stays plain: the traffic never leaves the cluster.
//! - Read-only root filesystem: the image's `config/` is copied into an emptyDir by an init
//!   container (the entrypoint writes the keystore there), `/tmp` and `logs/` are emptyDirs.
//!
//! - Metrics: prometheus-community's elasticsearch_exporter v1.11 runs beside the node (port
//!   9114, `--es.uri` on loopback, credentials from `ES_USERNAME`/`ES_PASSWORD`); the
//!   cluster-health and disk alerts read it.
//!
//! Files: `mod.rs` settings and contributions, `cluster.rs` what a multi-node cluster adds and
//! its checks, `objects.rs` the Kubernetes objects, `rules.rs` its alerts.

mod cluster;
mod objects;
mod rules;

use serde::Deserialize;

use super::{Component, Context};
use crate::contrib;
use crate::contrib::ScrapeJob;
use crate::contrib::capacity::{DataKind, Disk};
use crate::contrib::{
    BasicAuth, Contributions, Offer, SecretRef, ServiceKind, storage_class_prerequisite,
};
use crate::diag::Code;
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, ConditionAlert, RatioAlert, duration};
use crate::model::endpoints::ServiceAddress;
use crate::model::{
    ByteSize, Duration, Image, Problem, Resources, SecretKeyRef, Stack, VolumeSize,
};

/// `app.kubernetes.io/name`, the StatefulSet's and the Service's name.
pub const NAME: &str = "elasticsearch";
const KEY: &str = "elasticsearch";
/// The HTTP API's port name and number.
pub const PORT_NAME: &str = "http";
const PORT: i32 = 9200;
/// The built-in superuser whose password `password` sets.
pub const USER: &str = "elastic";
/// The exporter's port and the scrape job (`elasticsearch_*`).
const METRICS_PORT_NAME: &str = "metrics";
const METRICS_PORT: i32 = 9114;
pub const JOB: &str = NAME;

/// The exporter series the alerts read (collector/cluster_health.go, collector/nodes.go of
/// prometheus-community/elasticsearch_exporter@v1.11.0).
const METRICS: &[&str] = &[
    "elasticsearch_cluster_health_status",
    "elasticsearch_filesystem_data_available_bytes",
    "elasticsearch_filesystem_data_size_bytes",
];

/// `[elasticsearch]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Elasticsearch {
    /// Run a single Elasticsearch node as Jaeger's span store.
    pub enabled: bool,
    /// Pinned image: 9.x (default, what Jaeger 2.20 tests) or 8.19.x.
    pub image: Image,
    /// Size of the data volume.
    pub storage: VolumeSize,
    /// JVM heap (`-Xms` = `-Xmx`), at most half of `resources.limits.memory`.
    pub heap: ByteSize,
    pub resources: Resources,
    /// The `elastic` user's password, from an existing Secret in the stack's namespace; turns
    /// X-Pack security on. Leave out to run without authentication, reachable only from the
    /// pods the NetworkPolicies admit.
    pub password: Option<SecretKeyRef>,
    /// Pinned elasticsearch_exporter image (runs beside the node).
    pub exporter_image: Image,
    /// Nodes of the cluster, each master-eligible and holding data; spread over zones and
    /// hosts. An odd count: 3 survive the loss of one.
    pub nodes: i32,
    /// Replicas of each Jaeger index (Jaeger's `indices.*.replicas`). Default: 1 on two nodes
    /// or more (a node may fail without losing spans), 0 on one. Below `nodes`.
    pub index_replicas: Option<i32>,
    /// Certificates of the nodes' transport layer (needed by a multi-node cluster with
    /// `password` set): an existing Secret with `tls.crt`, `tls.key` and `ca.crt`.
    pub transport_tls: Option<TransportTls>,
    pub alerts: Alerts,
}

/// `[elasticsearch.transport_tls]`: where the transport certificates come from, one of two.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransportTls {
    /// An existing Secret with `tls.crt`, `tls.key` and `ca.crt` (PEM), e.g. from
    /// `elasticsearch-certutil cert --pem`; monstack never writes it. "" unsets it.
    #[serde(default, deserialize_with = "crate::model::empty_as_none")]
    pub secret: Option<crate::model::SecretName>,
    /// A cert-manager issuer that signs them: monstack renders a `Certificate`, and
    /// cert-manager writes and renews its Secret. "" unsets it.
    #[serde(default, deserialize_with = "crate::model::empty_as_none")]
    pub issuer: Option<crate::model::DnsLabel>,
    /// `ClusterIssuer` (default) or `Issuer` (in the stack's namespace).
    #[serde(default)]
    pub issuer_kind: IssuerKind,
}

/// cert-manager's two issuer kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub enum IssuerKind {
    #[default]
    ClusterIssuer,
    Issuer,
}

/// `[elasticsearch.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Critical: the cluster is red (a primary shard is unassigned: spans of that index are
    /// lost or unreadable) for `for` (default 5m).
    pub cluster_red: ConditionAlert<ClusterRed>,
    /// Critical: free space on the data volume below `ratio` (default 0.1, Elasticsearch's
    /// high watermark; at 5% it makes indices read-only and spans are dropped) for `for`
    /// (default 10m).
    pub disk_almost_full: RatioAlert<DiskAlmostFull>,
}

#[derive(Debug, Clone)]
pub struct ClusterRed;
impl AlertDefaults for ClusterRed {
    fn for_duration() -> Duration {
        duration("5m")
    }
}

#[derive(Debug, Clone)]
pub struct DiskAlmostFull;
impl AlertDefaults for DiskAlmostFull {
    fn for_duration() -> Duration {
        duration("10m")
    }
    fn ratio() -> f64 {
        0.1
    }
}

impl Default for Elasticsearch {
    fn default() -> Self {
        Elasticsearch {
            enabled: true,
            image: Image::parse("docker.elastic.co/elasticsearch/elasticsearch:9.4.0")
                .expect("invariant: valid default"),
            storage: VolumeSize::parse("50Gi").expect("invariant: valid default"),
            heap: ByteSize::parse("1Gi").expect("invariant: valid default"),
            // The seed's 250m request; memory: a 1Gi heap plus as much again for Lucene's file
            // cache and the JVM, requested in full since a JVM never gives memory back.
            resources: Resources::new(("250m", "2Gi"), ("1000m", "2Gi")),
            password: None,
            exporter_image: Image::parse(
                "quay.io/prometheuscommunity/elasticsearch-exporter:v1.11.0",
            )
            .expect("invariant: valid default"),
            nodes: 1,
            index_replicas: None,
            transport_tls: None,
            alerts: Alerts::default(),
        }
    }
}

impl Elasticsearch {
    /// The data volume, for the capacity model: one node holds every span (Jaeger's indices
    /// have one shard and no replica, so `per_byte` is 1; a cluster would hold
    /// (1 + replicas) / nodes of them on each). Above the low disk watermark (85%,
    /// `cluster.routing.allocation.disk.watermark.low`) no new index is allocated.
    fn disk(&self) -> Disk {
        Disk {
            kind: DataKind::Spans,
            store: "Elasticsearch",
            volume_key: format!("{KEY}.storage"),
            volume: self.storage.to_string(),
            volume_bytes: self.storage.value(),
            usable_bytes: self.storage.value() * 0.85,
            // Every shard has 1 + index_replicas copies, spread over the nodes' volumes.
            per_byte: f64::from(1 + self.index_replicas()) / f64::from(self.nodes.max(1)),
            fixed_bytes: 0.0,
            object_storage: false,
            basis: format!(
                "1 KiB per span with its index, {} cop{} over {} node(s), the retention plus today's index",
                1 + self.index_replicas(),
                if self.index_replicas() == 0 {
                    "y"
                } else {
                    "ies"
                },
                self.nodes.max(1)
            ),
            when_full: "past the disk watermarks Elasticsearch allocates no new daily index and then makes indices read-only, so spans are dropped",
        }
    }
}

impl Component for Elasticsearch {
    const NAME: &'static str = KEY;
    const FILE: &'static str = NAME;

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems = self.resources.check(&format!("{KEY}.resources"));
        problems.extend(self.heap_problem());
        problems.extend(self.version_problem());
        problems.extend(
            self.alerts
                .disk_almost_full
                .check(&format!("{KEY}.alerts.disk_almost_full")),
        );
        problems.extend(crate::model::check_replicas(
            &format!("{KEY}.nodes"),
            self.nodes,
            9,
        ));
        problems.extend(cluster::problems(self));
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        Contributions {
            scrape_jobs: vec![scrape_job(stack)],
            rule_groups: rules::groups(&self.alerts, stack),
            offers: vec![Offer {
                kind: ServiceKind::SpanStore,
                service: service_address(stack),
                basic_auth: self.password.as_ref().map(|p| BasicAuth {
                    username: USER.into(),
                    secret: p.secret.to_string(),
                    key: p.key.to_string(),
                }),
                index_replicas: Some(self.index_replicas()),
            }],
            secrets: self
                .password
                .iter()
                .map(|p| SecretRef {
                    name: p.secret.to_string(),
                    namespace: stack.namespace.to_string(),
                    keys: vec![contrib::SecretKey::plain(
                        p.key.as_str(),
                        format!("password of the Elasticsearch {USER} user"),
                    )],
                    profile_key: format!("{KEY}.password"),
                    optional: false,
                })
                .chain(self.transport_secret(stack))
                .collect(),
            // No vm.max_map_count node setting is needed: the node runs with
            // node.store.allow_mmap=false.
            prerequisites: storage_class_prerequisite(stack)
                .into_iter()
                .chain(self.cert_manager_prerequisites())
                .collect(),
            flows: self
                .clustered()
                .then(|| {
                    contrib::Flow::new(
                        contrib::Peer::Component(NAME.into()),
                        contrib::Destination::Port {
                            app: NAME.into(),
                            port: cluster::TRANSPORT_PORT_NAME.into(),
                        },
                        "nodes of the cluster talk to each other",
                    )
                })
                .into_iter()
                .collect(),
            disks: vec![self.disk()],
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        Ok(objects::objects(self, cx))
    }
}

fn scrape_job(stack: &Stack) -> ScrapeJob {
    ScrapeJob::stack_pods(
        stack,
        NAME,
        ServiceAddress::in_stack(stack, NAME, METRICS_PORT_NAME, METRICS_PORT),
        "/metrics",
    )
    .with_metrics(METRICS)
}

/// The HTTP API Jaeger and its index cleaner call.
pub fn service_address(stack: &Stack) -> ServiceAddress {
    ServiceAddress::in_stack(stack, NAME, PORT_NAME, PORT)
}

impl Elasticsearch {
    /// The heap in MiB, as `-Xms`/`-Xmx` take it.
    fn heap_mib(&self) -> u64 {
        (self.heap.value() / (1024.0 * 1024.0)).floor() as u64
    }

    /// The heap must leave at least half the memory limit to Lucene's file cache and the JVM.
    fn heap_problem(&self) -> Option<Problem> {
        let (heap, limit) = (self.heap.value(), self.resources.limits.memory.value());
        if self.heap_mib() == 0 {
            return Some(Problem::error(
                format!("{KEY}.heap"),
                Code::InvalidValue,
                format!("heap = \"{}\" is less than 1Mi", self.heap),
                "set the JVM heap, e.g. heap = \"1Gi\"",
            ));
        }
        (heap > limit / 2.0).then(|| {
            Problem::error(
                format!("{KEY}.heap"),
                Code::HeapAboveHalfLimit,
                format!(
                    "the heap ({}) is more than half the memory limit ({}): Lucene's file cache and the JVM's own memory get the rest, and the pod would be killed for memory",
                    self.heap, self.resources.limits.memory
                ),
                format!(
                    "lower heap to at most half of {}, or raise resources.limits.memory to at least twice {}",
                    self.resources.limits.memory, self.heap
                ),
            )
        })
    }

    /// Jaeger 2.20 covers Elasticsearch 9.x and 8.19.x only.
    fn version_problem(&self) -> Option<Problem> {
        let tag = self.image.as_str().rsplit(':').next().unwrap_or_default();
        let supported = tag.starts_with("9.") || tag.starts_with("8.19.");
        (!supported).then(|| {
            Problem::error(
                format!("{KEY}.image"),
                Code::InvalidValue,
                format!("Elasticsearch {tag} is not covered by Jaeger 2.20 (9.x and 8.19.x are)"),
                "pin docker.elastic.co/elasticsearch/elasticsearch:9.4.0 (or an 8.19.x tag)",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es(toml_text: &str) -> Elasticsearch {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn heap_above_half_the_limit_is_refused_at_the_heap_key() {
        let e = es(
            "heap = \"1536Mi\"\n[resources]\nrequests = { cpu = \"250m\", memory = \"2Gi\" }\nlimits = { cpu = \"1\", memory = \"2Gi\" }\n",
        );
        let p = e.check(&Stack::default());
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].key, "elasticsearch.heap");
        assert_eq!(p[0].diagnostic.code, Code::HeapAboveHalfLimit);
        assert!(es("heap = \"1Gi\"").check(&Stack::default()).is_empty());
    }

    #[test]
    fn only_the_majors_jaeger_covers_are_accepted() {
        let p = es("image = \"docker.elastic.co/elasticsearch/elasticsearch:7.17.22\"")
            .check(&Stack::default());
        assert_eq!(p[0].key, "elasticsearch.image");
        assert!(
            es("image = \"docker.elastic.co/elasticsearch/elasticsearch:8.19.0\"")
                .check(&Stack::default())
                .is_empty()
        );
    }
}

#[cfg(test)]
mod cluster_tests {
    use super::*;

    fn es(toml_text: &str) -> Elasticsearch {
        toml::from_str(toml_text).unwrap()
    }

    fn codes(e: &Elasticsearch) -> Vec<(String, Code)> {
        e.check(&Stack::default())
            .into_iter()
            .map(|p| (p.key, p.diagnostic.code))
            .collect()
    }

    const PASSWORD: &str = "password = { secret = \"es\", key = \"password\" }\n";

    #[test]
    fn a_cluster_gets_one_index_replica_and_one_node_none() {
        assert_eq!(es("").index_replicas(), 0);
        assert_eq!(es("nodes = 3").index_replicas(), 1);
        assert_eq!(es("nodes = 3\nindex_replicas = 2").index_replicas(), 2);
    }

    #[test]
    fn replicas_at_least_the_node_count_are_refused() {
        assert_eq!(
            codes(&es("nodes = 3\nindex_replicas = 3")),
            [(
                "elasticsearch.index_replicas".into(),
                Code::IndexReplicasAboveNodes
            )]
        );
        assert_eq!(
            codes(&es("index_replicas = 1")),
            [(
                "elasticsearch.index_replicas".into(),
                Code::IndexReplicasAboveNodes
            )]
        );
    }

    #[test]
    fn an_even_node_count_is_a_warning() {
        let p = es("nodes = 4").check(&Stack::default());
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].diagnostic.code, Code::EvenMasterNodes);
        assert!(!p[0].diagnostic.is_error());
        assert!(codes(&es("nodes = 3")).is_empty());
    }

    #[test]
    fn a_secured_cluster_needs_transport_certificates() {
        assert_eq!(
            codes(&es(&format!("nodes = 3\n{PASSWORD}"))),
            [("elasticsearch.nodes".into(), Code::TransportTlsMissing)]
        );
        let e = es(&format!(
            "nodes = 3\n{PASSWORD}transport_tls = {{ secret = \"es-certs\" }}\n"
        ));
        assert!(codes(&e).is_empty());
        let settings = objects::settings(&e);
        let get = |k: &str| {
            settings
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("xpack.security.transport.ssl.enabled"), Some("true"));
        assert_eq!(
            get("cluster.initial_master_nodes"),
            Some("elasticsearch-0,elasticsearch-1,elasticsearch-2")
        );
        assert_eq!(
            get("discovery.seed_hosts"),
            Some(cluster::TRANSPORT_SERVICE)
        );
        assert_eq!(get("discovery.type"), None);
        // One node stays in development mode, transport on loopback.
        let single = objects::settings(&es(PASSWORD));
        assert!(single.contains(&("discovery.type", "single-node".into())));
    }

    #[test]
    fn cert_manager_issues_the_transport_certificate_when_an_issuer_is_named() {
        let e = es(&format!(
            "nodes = 3\n{PASSWORD}transport_tls = {{ issuer = \"internal-ca\" }}\n"
        ));
        assert!(codes(&e).is_empty());
        // Not a Secret the user creates, but one the rendered Certificate asks for.
        assert!(e.transport_secret(&Stack::default()).is_none());
        let kinds: Vec<String> = e
            .cert_manager_prerequisites()
            .into_iter()
            .map(|p| format!("{} {}", p.kind, p.name))
            .collect();
        assert_eq!(
            kinds,
            [
                "CustomResourceDefinition certificates.cert-manager.io",
                "controller cert-manager",
                "ClusterIssuer internal-ca",
            ]
        );
        let both = es(&format!(
            "nodes = 3\n{PASSWORD}transport_tls = {{ issuer = \"ca\", secret = \"certs\" }}\n"
        ));
        assert_eq!(
            codes(&both),
            [("elasticsearch.transport_tls".into(), Code::InvalidValue)]
        );
    }
}
