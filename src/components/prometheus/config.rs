//! prometheus.yml: global settings, where alerts go, and one scrape job per metrics source.
//! Stack components are scraped from what they offer (`model::endpoints`); sources outside the
//! stack (application pods, kubelet/cAdvisor, Dapr sidecars, Strimzi Kafka) from the profile.
//!
//! Every job discovers pods or nodes with `kubernetes_sd_configs`, so per-replica targets appear
//! and disappear with the pods. Job names are fixed here because rules and dashboards select on them.

use serde::{Deserialize, Serialize};

use super::{Prometheus, RULES_DIR};
use crate::model::endpoints::{Endpoints, ScrapeTarget};
use crate::model::{DnsLabel, Stack};

pub const JOB_APPLICATION_PODS: &str = "kubernetes-pods";
pub const JOB_CADVISOR: &str = "kubernetes-cadvisor";
pub const JOB_DAPR: &str = "dapr-sidecars";
pub const JOB_KAFKA: &str = "kafka";

/// `[prometheus.scrape]`: which sources outside the stack are scraped.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Scrape {
    /// Application pods annotated `prometheus.io/scrape: "true"` (optional `prometheus.io/port`,
    /// `prometheus.io/path`, `prometheus.io/scheme`) in `stack.app_namespaces`.
    pub application_pods: bool,
    /// Container CPU/memory from every node's kubelet (`/metrics/cadvisor`).
    pub kubelet_cadvisor: bool,
    /// Kubelet serving certificates are rarely signed by the cluster CA; set true only if yours are.
    pub kubelet_verify_tls: bool,
    /// Dapr sidecars (`daprd`, port `dapr-metrics`) of pods in `stack.app_namespaces`.
    pub dapr: bool,
    /// Strimzi-managed Kafka pods (port `tcp-prometheus`); needs `metricsConfig` on the Kafka resource.
    pub kafka: Kafka,
}

impl Default for Scrape {
    fn default() -> Self {
        Scrape {
            application_pods: true,
            kubelet_cadvisor: true,
            kubelet_verify_tls: false,
            dapr: true,
            kafka: Kafka::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Kafka {
    pub enabled: bool,
    /// Namespaces the Strimzi Kafka clusters run in.
    pub namespaces: Vec<DnsLabel>,
}

impl Default for Kafka {
    fn default() -> Self {
        Kafka {
            enabled: true,
            namespaces: vec![DnsLabel::parse("kafka").expect("invariant: valid default")],
        }
    }
}

/// The template's view of prometheus.yml.
#[derive(Debug, Serialize)]
pub struct ConfigFile {
    pub cluster: String,
    pub scrape_interval: String,
    pub scrape_timeout: String,
    pub evaluation_interval: String,
    pub rules_glob: String,
    pub alertmanagers: Vec<String>,
    pub jobs: Vec<Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub name: String,
    pub comment: String,
    pub role: &'static str,
    pub namespaces: Vec<String>,
    pub honor_labels: bool,
    pub scheme: Option<&'static str>,
    pub metrics_path: Option<String>,
    pub kubelet_auth: Option<KubeletAuth>,
    pub relabel_configs: Vec<Relabel>,
    pub metric_relabel_configs: Vec<Relabel>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubeletAuth {
    pub insecure_skip_verify: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relabel {
    pub action: &'static str,
    pub source_labels: Vec<&'static str>,
    pub regex: Option<String>,
    pub target_label: Option<&'static str>,
    pub replacement: Option<String>,
}

fn keep(sources: &[&'static str], regex: impl Into<String>) -> Relabel {
    Relabel {
        action: "keep",
        source_labels: sources.to_vec(),
        regex: Some(regex.into()),
        target_label: None,
        replacement: None,
    }
}

fn drop(sources: &[&'static str], regex: impl Into<String>) -> Relabel {
    Relabel {
        action: "drop",
        ..keep(sources, regex)
    }
}

/// Copies `source` into `target` when it is not empty.
fn copy(source: &'static str, target: &'static str) -> Relabel {
    Relabel {
        action: "replace",
        source_labels: vec![source],
        regex: Some("(.+)".into()),
        target_label: Some(target),
        replacement: Some("$1".into()),
    }
}

fn namespace_and_pod() -> [Relabel; 2] {
    [
        copy("__meta_kubernetes_namespace", "namespace"),
        copy("__meta_kubernetes_pod_name", "pod"),
    ]
}

impl Job {
    fn pods(name: &str, comment: &str, namespaces: Vec<String>) -> Job {
        Job {
            name: name.into(),
            comment: comment.into(),
            role: "pod",
            namespaces,
            honor_labels: false,
            scheme: None,
            metrics_path: None,
            kubelet_auth: None,
            relabel_configs: Vec::new(),
            metric_relabel_configs: Vec::new(),
        }
    }
}

pub fn config_file(p: &Prometheus, stack: &Stack, endpoints: &Endpoints) -> ConfigFile {
    ConfigFile {
        cluster: stack.name.to_string(),
        scrape_interval: p.scrape_interval.to_string(),
        scrape_timeout: p.scrape_timeout.to_string(),
        evaluation_interval: p.evaluation_interval.to_string(),
        rules_glob: format!("{RULES_DIR}/*.yml"),
        alertmanagers: endpoints
            .alert_receiver()
            .map(|r| r.targets.clone())
            .unwrap_or_default(),
        jobs: jobs(&p.scrape, stack, endpoints),
    }
}

fn jobs(scrape: &Scrape, stack: &Stack, endpoints: &Endpoints) -> Vec<Job> {
    let apps: Vec<String> = stack.app_namespaces.iter().map(|n| n.to_string()).collect();
    let mut jobs: Vec<Job> = endpoints
        .scrape_targets()
        .map(|t| stack_component_job(t, stack))
        .collect();
    if scrape.application_pods {
        jobs.push(application_pods_job(apps.clone()));
    }
    if scrape.kubelet_cadvisor {
        jobs.push(cadvisor_job(scrape.kubelet_verify_tls));
    }
    if scrape.dapr {
        jobs.push(dapr_job(apps));
    }
    if scrape.kafka.enabled {
        let namespaces = scrape
            .kafka
            .namespaces
            .iter()
            .map(|n| n.to_string())
            .collect();
        jobs.push(kafka_job(namespaces));
    }
    jobs
}

/// A component of this stack: its pods in the stack's namespace, by name label and port name.
fn stack_component_job(t: &ScrapeTarget, stack: &Stack) -> Job {
    let mut job = Job::pods(
        &t.job,
        &format!("{} pods of this stack, port {}.", t.app, t.port_name),
        vec![stack.namespace.to_string()],
    );
    job.honor_labels = t.honor_labels;
    job.metrics_path = (t.path != "/metrics").then(|| t.path.clone());
    job.relabel_configs = vec![
        keep(
            &["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
            t.app.clone(),
        ),
        keep(
            &["__meta_kubernetes_pod_label_app_kubernetes_io_instance"],
            stack.name.to_string(),
        ),
        keep(
            &["__meta_kubernetes_pod_container_port_name"],
            t.port_name.clone(),
        ),
    ];
    job.relabel_configs.extend(namespace_and_pod());
    job
}

fn application_pods_job(namespaces: Vec<String>) -> Job {
    let mut job = Job::pods(
        JOB_APPLICATION_PODS,
        "Application pods that opt in with the prometheus.io/scrape annotation.",
        namespaces,
    );
    job.relabel_configs = vec![
        keep(
            &["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
            "true",
        ),
        // Dapr's sidecar has its own job; without a port annotation it would be scraped here
        // too, on every port it declares.
        drop(&["__meta_kubernetes_pod_container_name"], "daprd"),
        drop(
            &["__meta_kubernetes_pod_phase"],
            "Pending|Succeeded|Failed|Completed",
        ),
        Relabel {
            target_label: Some("__scheme__"),
            regex: Some("(https?)".into()),
            ..copy(
                "__meta_kubernetes_pod_annotation_prometheus_io_scheme",
                "__scheme__",
            )
        },
        copy(
            "__meta_kubernetes_pod_annotation_prometheus_io_path",
            "__metrics_path__",
        ),
        // The annotated port on the pod IP; IPv6 addresses need brackets.
        Relabel {
            action: "replace",
            source_labels: vec![
                "__meta_kubernetes_pod_ip",
                "__meta_kubernetes_pod_annotation_prometheus_io_port",
            ],
            regex: Some(r"(\d+\.\d+\.\d+\.\d+);(\d+)".into()),
            target_label: Some("__address__"),
            replacement: Some("$1:$2".into()),
        },
        Relabel {
            action: "replace",
            source_labels: vec![
                "__meta_kubernetes_pod_ip",
                "__meta_kubernetes_pod_annotation_prometheus_io_port",
            ],
            regex: Some(r"([0-9a-fA-F:]+);(\d+)".into()),
            target_label: Some("__address__"),
            replacement: Some("[$1]:$2".into()),
        },
        // `service` names the application: the recommended label, else the older `app` label.
        copy("__meta_kubernetes_pod_label_app", "service"),
        copy(
            "__meta_kubernetes_pod_label_app_kubernetes_io_name",
            "service",
        ),
    ];
    job.relabel_configs.extend(namespace_and_pod());
    job
}

fn cadvisor_job(verify_tls: bool) -> Job {
    Job {
        name: JOB_CADVISOR.into(),
        comment: "Container CPU, memory and network from every node's kubelet (cAdvisor).".into(),
        role: "node",
        namespaces: Vec::new(),
        honor_labels: true,
        scheme: Some("https"),
        metrics_path: Some("/metrics/cadvisor".into()),
        kubelet_auth: Some(KubeletAuth {
            insecure_skip_verify: !verify_tls,
        }),
        relabel_configs: vec![copy("__meta_kubernetes_node_name", "node")],
        // Pause containers and cgroup-level series without a container only add cardinality.
        metric_relabel_configs: vec![drop(&["container"], "POD")],
    }
}

fn dapr_job(namespaces: Vec<String>) -> Job {
    let mut job = Job::pods(
        JOB_DAPR,
        "Dapr sidecars (container daprd, port dapr-metrics) of application pods.",
        namespaces,
    );
    job.relabel_configs = vec![
        keep(
            &["__meta_kubernetes_pod_annotation_dapr_io_enabled"],
            "true",
        ),
        keep(
            &[
                "__meta_kubernetes_pod_container_name",
                "__meta_kubernetes_pod_container_port_name",
            ],
            "daprd;dapr-metrics",
        ),
        copy("__meta_kubernetes_pod_annotation_dapr_io_app_id", "app_id"),
    ];
    job.relabel_configs.extend(namespace_and_pod());
    job
}

fn kafka_job(namespaces: Vec<String>) -> Job {
    let mut job = Job::pods(
        JOB_KAFKA,
        "Strimzi Kafka brokers, Connect and MirrorMaker 2 (JMX exporter, port tcp-prometheus).",
        namespaces,
    );
    job.relabel_configs = vec![
        keep(
            &["__meta_kubernetes_pod_label_strimzi_io_kind"],
            "Kafka|KafkaConnect|KafkaMirrorMaker2",
        ),
        keep(
            &["__meta_kubernetes_pod_container_port_name"],
            "tcp-prometheus",
        ),
        copy(
            "__meta_kubernetes_pod_label_strimzi_io_cluster",
            "strimzi_cluster",
        ),
        copy(
            "__meta_kubernetes_pod_label_strimzi_io_kind",
            "strimzi_kind",
        ),
    ];
    job.relabel_configs.extend(namespace_and_pod());
    job
}
