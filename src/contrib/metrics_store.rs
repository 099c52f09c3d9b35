//! What a component adds to the pods of the metrics store (Prometheus), kube-prometheus'
//! `thanos` sidecar addition in typed form: containers beside Prometheus in every replica's pod,
//! and the TSDB settings they need (a per-replica external label, fixed block durations, a
//! shorter local retention). Prometheus applies every extension it is given without knowing who
//! asked, as it renders the scrape jobs it is given; it never names the component.
//!
//! The containers are Kubernetes `Container`s: they run in Prometheus' pod, so they are pod
//! parts rather than objects of their own.

use k8s_openapi::api::core::v1::{Container, Volume};

use crate::model::Duration;

/// One component's additions to the metrics store's pods.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreExtension {
    /// Containers added beside Prometheus in every replica's pod.
    pub containers: Vec<Container>,
    /// Volumes those containers mount (besides the TSDB).
    pub volumes: Vec<Volume>,
    /// Where the TSDB volume is mounted (read-write) in these containers, if they need it.
    pub tsdb_mount: Option<String>,
    /// An external label whose value is the pod's name, so each replica's series stay apart
    /// where they are stored together (deduplicated at query time). Prometheus drops it from
    /// the alerts it sends, so Alertmanager still sees one alert from all replicas.
    pub replica_label: Option<String>,
    /// `--storage.tsdb.min-block-duration` = `max-block-duration`: Prometheus cuts blocks of
    /// this length and never compacts them, so an uploader sees each block exactly once.
    pub block_duration: Option<Duration>,
    /// Local retention at most this long (older data lives elsewhere).
    pub max_retention: Option<Duration>,
    /// checkov checks the added containers fail by design, with the extension's reason: the
    /// Prometheus workload carries them.
    pub waivers: Vec<crate::k8s::waivers::Waiver>,
}
